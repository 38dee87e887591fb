/** STS GetCallerIdentity, the one STS call the project makes (the account when the topology has none). */
import { randomUUID } from 'node:crypto';

export function callerIdentityXml(account: string): string {
  return (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' +
    '<GetCallerIdentityResult>' +
    `<Arn>arn:aws:iam::${account}:user/local</Arn>` +
    '<UserId>AIDALOCALAWSUSER00001</UserId>' +
    `<Account>${account}</Account>` +
    '</GetCallerIdentityResult>' +
    `<ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata>` +
    '</GetCallerIdentityResponse>'
  );
}

/**
 * EC2 errors as AWS returns them: code, message and HTTP status. Messages follow what AWS returns for
 * the cases the project meets (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
 */
import { xmlEscape } from './xml';

export class Ec2Error extends Error {
  override name = 'Ec2Error';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export const ec2Errors = {
  routeTableNotFound: (id: string) =>
    new Ec2Error('InvalidRouteTableID.NotFound', `The routeTable ID '${id}' does not exist`),
  tgwRouteTableNotFound: (id: string) =>
    new Ec2Error(
      'InvalidRouteTableID.NotFound',
      `Transit Gateway Route Table ${id} was deleted or does not exist.`,
    ),
  transitGatewayNotFound: (id: string) =>
    new Ec2Error('InvalidTransitGatewayID.NotFound', `The transitGateway ID '${id}' does not exist.`),
  attachmentNotFound: (id: string) =>
    new Ec2Error(
      'InvalidTransitGatewayAttachmentID.NotFound',
      `Transit Gateway Attachment ${id} was deleted or does not exist.`,
    ),
  networkInterfaceNotFound: (id: string) =>
    new Ec2Error('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${id}' does not exist`),
  instanceNotFound: (id: string) =>
    new Ec2Error('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`),
  gatewayNotFound: (id: string) =>
    new Ec2Error('InvalidGatewayID.NotFound', `The gateway ID '${id}' does not exist`),
  vpcNotFound: (id: string) => new Ec2Error('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`),
  subnetNotFound: (id: string) =>
    new Ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`),
  routeAlreadyExists: (cidr: string) =>
    new Ec2Error('RouteAlreadyExists', `The route identified by ${cidr} already exists.`),
  /** ReplaceRoute of a route that is not there. */
  noRouteToReplace: (cidr: string) =>
    new Ec2Error(
      'InvalidParameterValue',
      `There is no route defined for '${cidr}' in the route table. Use CreateRoute instead.`,
    ),
  routeNotFound: (table: string, cidr: string) =>
    new Ec2Error(
      'InvalidRoute.NotFound',
      `no route with destination-cidr-block ${cidr} in route table ${table}`,
    ),
  tgwRouteAlreadyExists: (table: string, cidr: string) =>
    new Ec2Error(
      'RouteAlreadyExists',
      `Route ${cidr} already exists in Transit Gateway Route Table ${table}.`,
    ),
  tgwRouteNotFound: (table: string, cidr: string) =>
    new Ec2Error(
      'InvalidRoute.NotFound',
      `Route ${cidr} does not exist in Transit Gateway Route Table ${table}.`,
    ),
  invalidCidr: (cidr: string, param = 'destinationCidrBlock') =>
    new Ec2Error(
      'InvalidParameterValue',
      `Value (${cidr}) for parameter ${param} is invalid. This is not a valid CIDR block.`,
    ),
  invalidFilter: (name: string) => new Ec2Error('InvalidParameterValue', `The filter '${name}' is invalid`),
  /**
   * What EC2 answers a throttled request: code RequestLimitExceeded
   * (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html). The docs name no HTTP
   * status; 503 and this message are what SDKs report from AWS, e.g.
   * https://github.com/cloudfoundry/bosh-aws-cpi-release/issues/61 ("Status Code: 503; Error Code:
   * RequestLimitExceeded"). Recent answers append "Account N has been throttled on ec2:<Action> ...";
   * local AWS keeps the short form.
   */
  requestLimitExceeded: () => new Ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503),
  unauthorized: () =>
    new Ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.', 403),
  /** A DryRun request that would have been allowed. */
  dryRunOperation: () =>
    new Ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412),
  invalidAction: (action: string) =>
    new Ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`),
};

/** The EC2 error document: `<Response><Errors><Error>…</Error></Errors><RequestID>…</RequestID></Response>`. */
export function errorXml(error: Ec2Error, requestId: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Response><Errors><Error><Code>${xmlEscape(error.code)}</Code><Message>${xmlEscape(error.message)}</Message></Error></Errors>` +
    `<RequestID>${requestId}</RequestID></Response>`
  );
}

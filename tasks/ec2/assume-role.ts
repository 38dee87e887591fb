/**
 * Credentials of other accounts' access roles: STS AssumeRole through the SDK's own provider
 * (`fromTemporaryCredentials`), memoized per account and session, so every region's client of one account
 * shares one set of credentials for the task's lifetime, refreshed only when they near expiry.
 * - The session is named after the run (accounts.ts) and carries the account's external ID when the
 *   topology gives one (https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html).
 * - STS is asked at the regional endpoint of the task function's own region, which the SDK for
 *   JavaScript v3 uses whenever the STS client has a region
 *   (https://docs.aws.amazon.com/sdkref/latest/guide/feature-sts-regionalized-endpoints.html); the
 *   regional endpoints are listed in
 *   https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_region-endpoints.html.
 * - DurationSeconds 900 is AssumeRole's minimum: a run lasts under two minutes, and short-lived
 *   credentials are the least to lose.
 * - A refusal keeps STS's error (code `AccessDenied`, a permanent error), its message prefixed with the
 *   account and the role, so whatever reports it names the account.
 */
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { doesIdentityRequireRefresh, isIdentityExpired, memoizeIdentityProvider } from '@smithy/core';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { AccountAccess } from '../accounts';

export interface AssumeRoleOptions {
  /** The region whose STS endpoint is asked (the task function's own). @default the region of the client */
  readonly region?: string;
  /** Overrides the STS endpoint (local AWS). @default the SDK's (AWS_ENDPOINT_URL_STS, regional) */
  readonly endpoint?: string;
}

/** AssumeRole's shortest session: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html */
const SESSION_SECONDS = 900;

const failures = new WeakMap<object, AccountAccess>();

/** The account whose role could not be assumed, when `error` (or its cause) is such a refusal. */
export function accountAccessFailure(error: unknown, depth = 0): AccountAccess | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  return failures.get(error) ?? accountAccessFailure((error as { cause?: unknown }).cause, depth + 1);
}

/** Builds (once per account and session) the credentials of an account's access role. */
export function assumedCredentials(
  options: AssumeRoleOptions,
  master?: AwsCredentialIdentity | AwsCredentialIdentityProvider,
): (access: AccountAccess, region: string) => AwsCredentialIdentityProvider {
  const providers = new Map<string, AwsCredentialIdentityProvider>();
  return (access, region) => {
    const key = `${access.role}|${access.sessionName}`;
    const known = providers.get(key);
    if (known) return known;
    // A warm function serves one run after another: the sessions of earlier runs are not needed again.
    for (const other of providers.keys()) if (other.startsWith(`${access.role}|`)) providers.delete(other);
    const assume = fromTemporaryCredentials({
      params: {
        RoleArn: access.role,
        RoleSessionName: access.sessionName,
        DurationSeconds: SESSION_SECONDS,
        ...(access.externalId ? { ExternalId: access.externalId } : {}),
      },
      ...(master ? { masterCredentials: master } : {}),
      clientConfig: {
        region: options.region ?? region,
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      },
    });
    const named: AwsCredentialIdentityProvider = async (properties) => {
      try {
        return await assume(properties);
      } catch (error) {
        if (error instanceof Error) {
          error.message = `cannot enter account ${access.key} (${access.id}) with role ${access.role}: ${error.message}`;
          failures.set(error, access);
        }
        throw error;
      }
    };
    const provider = memoizeIdentityProvider(named, isIdentityExpired, doesIdentityRequireRefresh);
    if (!provider) throw new Error('memoizeIdentityProvider returned no provider');
    providers.set(key, provider);
    return provider;
  };
}

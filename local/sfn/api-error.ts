/**
 * An error the Step Functions API returns to the caller. JSON 1.0 protocol: HTTP 400 with
 * `{ "__type": "<Code>", "message": "..." }`; the SDK maps `__type` to the exception class.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html
 */
export class SfnApiError extends Error {
  override name = 'SfnApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export const executionDoesNotExist = (arn: string) =>
  new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);

export const stateMachineDoesNotExist = (arn: string) =>
  new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);

export const invalidArn = (arn: string, expected: string) =>
  new SfnApiError(
    'InvalidArn',
    `Invalid Arn: 'Resource type not valid in this context: ${expected}' for '${arn}'`,
  );

export const invalidName = (name: string) => new SfnApiError('InvalidName', `Invalid Name: '${name}'`);

export const invalidToken = () =>
  new SfnApiError('InvalidToken', 'Invalid Token: the nextToken is not valid');

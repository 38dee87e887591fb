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

/**
 * A throttled Step Functions request: `ThrottlingException` in a JSON 1.0 error body, HTTP 400, message
 * "Rate exceeded". The code is the one the Step Functions API's common errors name
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/CommonErrors.html). The status and the
 * message were not confirmed from a stored copy of that page: 400 is what the common-errors pages of the
 * older JSON-protocol services give for it (newer services answer 429), and "Rate exceeded" is AWS's usual
 * text, e.g. https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html. The SDK
 * retries ThrottlingException by its code whatever the status.
 */
export const sfnThrottlingError = () => new SfnApiError('ThrottlingException', 'Rate exceeded', 400);

import { describe, expect, it } from 'vitest';
import { classifyError, Ec2Error } from '../../../tasks/ec2/classify-error';
import { awsError, networkError } from './fixtures';

describe('classifyError', () => {
  it.each([
    [awsError('RequestLimitExceeded', 'Request limit exceeded.', 503), 'transient'],
    [awsError('Throttling', 'Rate exceeded', 400), 'transient'],
    [awsError('InternalError', 'An internal error has occurred', 500), 'transient'],
    [awsError('Unavailable', 'The server is overloaded', 503), 'transient'],
    [awsError('SomethingNew', 'a new 5xx', 502), 'transient'],
    [awsError('UnauthorizedOperation', 'You are not authorized', 403), 'permanent'],
    [
      awsError('AuthFailure', 'AWS was not able to validate the provided access credentials', 401),
      'permanent',
    ],
    [awsError('InvalidRouteTableID.NotFound', "The routeTable ID 'rtb-1' does not exist"), 'permanent'],
    [awsError('InvalidParameterValue', 'bad value'), 'permanent'],
    [awsError('InvalidParameterCombination', 'bad combination'), 'permanent'],
    [awsError('SomethingElse', 'any other 4xx', 409), 'permanent'],
    [networkError('ECONNREFUSED'), 'unreachable'],
    [networkError('ENOTFOUND'), 'unreachable'],
    [networkError('EAI_AGAIN'), 'unreachable'],
    [
      Object.assign(new Error('Socket timed out without establishing a connection'), {
        name: 'TimeoutError',
      }),
      'unreachable',
    ],
    [Object.assign(new Error('This operation was aborted'), { name: 'AbortError' }), 'unreachable'],
  ])('classifies %s as %s', (error, expected) => {
    expect(classifyError(error).class).toBe(expected);
  });

  it('keeps the AWS code and message', () => {
    expect(
      classifyError(awsError('InvalidRouteTableID.NotFound', "The routeTable ID 'rtb-1' does not exist")),
    ).toEqual({
      class: 'permanent',
      code: 'InvalidRouteTableID.NotFound',
      message: "The routeTable ID 'rtb-1' does not exist",
    });
  });

  it('finds a connection refusal inside an aggregated connect error', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED ::1:4566'), { code: 'ECONNREFUSED' });
    const aggregate = Object.assign(new AggregateError([refused], ''), { code: 'ECONNREFUSED' });

    expect(classifyError(aggregate)).toEqual({
      class: 'unreachable',
      code: 'ECONNREFUSED',
      message: 'connect ECONNREFUSED ::1:4566',
    });
  });

  it('returns the classification an Ec2Error already carries', () => {
    const error = new Ec2Error('reading us-east-1', {
      code: 'AuthFailure',
      region: 'us-east-1',
      errorClass: 'permanent',
    });

    expect(classifyError(error)).toEqual({
      class: 'permanent',
      code: 'AuthFailure',
      message: 'reading us-east-1',
    });
  });
});

import { describe, expect, it } from 'vitest';
import { ec2ClientFor } from '../../../tasks/ec2/clients';

describe('ec2ClientFor', () => {
  it('builds one client per region and reuses it', async () => {
    const clientForRegion = ec2ClientFor({ endpoint: 'http://127.0.0.1:4566' });

    const a = clientForRegion('us-east-1');
    const b = clientForRegion('ap-southeast-1');

    expect(clientForRegion('us-east-1')).toBe(a);
    expect(b).not.toBe(a);
    expect(await a.config.region()).toBe('us-east-1');
    expect(await b.config.region()).toBe('ap-southeast-1');
    const endpoint = await a.config.endpoint?.();
    expect(endpoint?.hostname).toBe('127.0.0.1');
    expect(endpoint?.port).toBe(4566);
  });
});

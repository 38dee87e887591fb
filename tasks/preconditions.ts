/**
 * Preconditions of a failover to a node, checked on the plan's one read of the world: the node can
 * receive the VIP's traffic and every attachment on the path to it is usable. Pure.
 */
import { PreconditionFailedError } from './errors';
import { peeringNextHops } from './routing';
import type { Topology } from './topology';
import type { Observation } from './world';

/** Every reason the target cannot take over, each naming the resource, the problem and the fix. */
export function preconditionProblems(topology: Topology, observation: Observation, target: string): string[] {
  const node = topology.nodes[target];
  const vpc = node && topology.vpcs[node.vpc];
  if (!node || !vpc) return [`node ${target} or its VPC is not in the topology (fix cluster.yaml)`];
  const unreachable = new Set(observation.unreachable.map((f) => f.region));
  const problems: string[] = [];

  const eni = observation.health.networkInterfaces[node.eni];
  if (!eni || eni.status === 'missing') {
    problems.push(
      `network interface ${node.eni} of ${target}: AWS does not know it (fix nodes.${target}.eni)`,
    );
  } else {
    if (eni.status !== 'in-use') {
      problems.push(
        `network interface ${node.eni} of ${target}: status ${eni.status}, not in-use (attach it to ${node.instance})`,
      );
    }
    if (eni.instance !== node.instance) {
      problems.push(
        `network interface ${node.eni} of ${target}: attached to ${eni.instance ?? 'nothing'}, not ${node.instance} (attach it, or fix nodes.${target})`,
      );
    }
  }

  const instance = observation.health.instances[node.instance];
  if (!instance || instance.state === 'missing') {
    problems.push(
      `instance ${node.instance} of ${target}: AWS does not know it (fix nodes.${target}.instance)`,
    );
  } else {
    if (instance.state !== 'running') {
      problems.push(
        `instance ${node.instance} of ${target}: state ${instance.state}, not running (start it first)`,
      );
    }
    if (instance.sourceDestCheck) {
      problems.push(
        `instance ${node.instance} of ${target}: source/destination check is on, so it drops VIP traffic ` +
          `(aws ec2 modify-instance-attribute --instance-id ${node.instance} --no-source-dest-check)`,
      );
    }
  }

  const vpcAttachment = observation.health.attachments[vpc.attachment] ?? 'missing';
  if (vpcAttachment !== 'available') {
    problems.push(
      `VPC attachment ${vpc.attachment} of ${node.vpc}: ${vpcAttachment}, not available (wait or fix vpcs.${node.vpc}.attachment)`,
    );
  }

  const onPath = new Set(
    [...peeringNextHops(topology, vpc.transitGateway).values()].map((hop) => hop.attachment),
  );
  for (const peering of topology.peerings.filter((p) => onPath.has(p.attachment))) {
    const state = observation.health.attachments[peering.attachment];
    const regions = peering.between.map((tgw) => topology.transitGateways[tgw]?.region ?? '');
    // A peering seen from neither side because a side's region is down cannot be judged; the trace reports it.
    if (state === undefined && regions.some((r) => unreachable.has(r))) continue;
    if (state !== 'available') {
      problems.push(
        `peering attachment ${peering.attachment} (${peering.between.join(' <-> ')}): ${state ?? 'missing'}, not available (accept it or fix peerings)`,
      );
    }
  }
  return problems;
}

export function assertPreconditions(topology: Topology, observation: Observation, target: string): void {
  const problems = preconditionProblems(topology, observation, target);
  if (problems.length > 0) {
    throw new PreconditionFailedError(`cannot fail over to ${target}:\n  ${problems.join('\n  ')}`);
  }
}

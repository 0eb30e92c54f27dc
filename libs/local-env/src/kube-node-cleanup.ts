import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { BRIDGE, CNI_NETWORK, NODE_ADDRESS, SERVICE_GUARD_COMMENT } from './kube-node-config.js';

/**
 * What a stopped one-node cluster leaves on the machine, removed: the pods' processes, the
 * mounts under its directory, the pods' network namespaces, kube-proxy's, kube-router's and the
 * bridge plugin's iptables rules, kube-router's ipsets, the bridge and the node's address. Best effort: each step runs even
 * when an earlier one found nothing to do.
 */
export function cleanUpNode(runDir: string, kubeProxy: string): void {
  killPodProcesses(runDir);
  unmountUnder(runDir);
  for (const name of existsSync('/run/netns') ? readdirSync('/run/netns') : []) {
    if (name.startsWith('cni-')) quietly('ip', ['netns', 'delete', name]);
  }
  quietly(kubeProxy, ['--cleanup']);
  removeIptablesRules();
  removeKubeRouterIpsets();
  quietly('ip', ['link', 'delete', BRIDGE]);
  quietly('ip', ['address', 'delete', `${NODE_ADDRESS}/32`, 'dev', 'lo']);
}

function quietly(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' });
  } catch {
    return '';
  }
}

/** Every process of a pod (the kubepods cgroups), then containerd's shims of this node. */
function killPodProcesses(runDir: string): void {
  const roots = ['/sys/fs/cgroup/pids/kubepods', '/sys/fs/cgroup/kubepods'].filter((dir) => existsSync(dir));
  const pids = roots.flatMap(processesUnder);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = readOrEmpty(`/proc/${entry}/cmdline`);
    if (cmdline.includes('containerd-shim') && cmdline.includes(runDir)) pids.push(Number(entry));
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function processesUnder(cgroup: string): number[] {
  const own = readOrEmpty(join(cgroup, 'cgroup.procs')).split('\n').filter(Boolean).map(Number);
  const children = readdirSync(cgroup).filter((entry) => statSync(join(cgroup, entry)).isDirectory());
  return [...own, ...children.flatMap((child) => processesUnder(join(cgroup, child)))];
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Deepest first, lazily: a pod's volumes and containerd's overlays under `dir`. */
function unmountUnder(dir: string): void {
  const points = readOrEmpty('/proc/self/mounts')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((point) => point.startsWith(`${dir}/`));
  for (const point of points.sort((a, b) => b.length - a.length)) quietly('umount', ['-l', point]);
}

/** The rules of an iptables table as `iptables -S` prints them, split into arguments. */
function rulesOf(table: string): string[][] {
  const argument = /"((?:\\.|[^"\\])*)"|(\S+)/g;
  return quietly('iptables', ['-t', table, '-S'])
    .split('\n')
    .filter((line) => line.startsWith('-A '))
    .map((line) => [...line.matchAll(argument)].map(([, quoted, bare]) => (quoted === undefined ? (bare ?? '') : quoted.replaceAll('\\"', '"'))));
}

/** Deletes the rules that match, then the chains they jump to whose name starts with `chainPrefix`. */
function removeRules(table: string, chainPrefix: string, matches: (rule: readonly string[]) => boolean): void {
  const chains = new Set<string>();
  for (const rule of rulesOf(table).filter(matches)) {
    quietly('iptables', ['-t', table, '-D', ...rule.slice(1)]);
    const target = rule[rule.indexOf('-j') + 1] ?? '';
    if (target.startsWith(chainPrefix)) chains.add(target);
  }
  for (const chain of chains) quietly('iptables', ['-t', table, '-F', chain]);
  for (const chain of chains) quietly('iptables', ['-t', table, '-X', chain]);
}

/**
 * The Service range's guard (kube-node.ts), the bridge plugin's masquerade (a chain per pod, from
 * a POSTROUTING rule whose comment names the network), then the kubelet's, kube-proxy's and kube-router's KUBE-* chains that `kube-proxy --cleanup`
 * leaves (the kubelet's firewall among them: it drops traffic from outside to 127.0.0.0/8).
 */
function removeIptablesRules(): void {
  removeRules('mangle', 'KUBE-', (rule) => rule.includes(SERVICE_GUARD_COMMENT));
  removeRules('nat', 'CNI-', (rule) => rule[1] === 'POSTROUTING' && rule.some((arg) => arg.includes(`"${CNI_NETWORK}"`)));
  for (const table of ['filter', 'nat', 'mangle']) {
    removeRules(table, 'KUBE-', (rule) => !(rule[1] ?? '').startsWith('KUBE-') && (rule[rule.indexOf('-j') + 1] ?? '').startsWith('KUBE-'));
    const leftover = quietly('iptables', ['-t', table, '-S'])
      .split('\n')
      .filter((line) => line.startsWith('-N KUBE-'))
      .map((line) => line.slice(3));
    for (const chain of leftover) quietly('iptables', ['-t', table, '-F', chain]);
    for (const chain of leftover) quietly('iptables', ['-t', table, '-X', chain]);
  }
}

/** kube-router's ipsets (KUBE-SRC-*, KUBE-DST-*, kube-router-*), once no rule uses them. */
function removeKubeRouterIpsets(): void {
  const sets = quietly('ipset', ['list', '-n'])
    .split('\n')
    .filter((name) => /^(KUBE-|kube-router-)/.test(name));
  for (const name of sets) quietly('ipset', ['destroy', name]);
}

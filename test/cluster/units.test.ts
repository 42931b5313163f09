/**
 * The pure parts of the Galera cluster: the rendered galera.cnf, the bootstrap choice, the SST
 * method, and the Galera health checks' judgement of status values.
 */
import { describe, expect, it } from 'vitest';
import { bootstrapCandidate, chooseSstMethod, findGaleraProvider } from '../../src/cluster/galera.js';
import { renderGaleraCnf } from '../../src/cluster/galera-cnf.js';
import { galeraChecks, gcommNodeCount } from '../../src/monitor/checks-galera.js';
import { healthDefaults } from '../../src/monitor/index.js';

describe('galera.cnf', () => {
  const text = renderGaleraCnf({
    cluster: 'demo',
    nodeName: 'demo-g2',
    index: 2,
    ports: { mysql: 4001, gcomm: 4002, ist: 4003, sst: 4004 },
    peers: [5002, 4002, 6002],
    provider: '/usr/lib/galera/libgalera_smm.so',
    sstMethod: 'mariabackup',
  });

  it('lists every node in the cluster address and binds everything to loopback', () => {
    expect(text).toMatch(
      /^wsrep_cluster_address = "gcomm:\/\/127\.0\.0\.1:5002,127\.0\.0\.1:4002,127\.0\.0\.1:6002"$/m,
    );
    expect(text).toMatch(/gmcast\.listen_addr=tcp:\/\/127\.0\.0\.1:4002; ist\.recv_addr=127\.0\.0\.1:4003;/);
    expect(text).toMatch(/^wsrep_sst_receive_address = 127\.0\.0\.1:4004$/m);
    expect(text).toMatch(/^wsrep_node_incoming_address = 127\.0\.0\.1:4001$/m);
  });

  it('sets a unique server_id and local GTID domain, and the shared wsrep GTID domain', () => {
    expect(text).toMatch(/^server_id = 1002$/m);
    expect(text).toMatch(/^gtid_domain_id = 102$/m);
    expect(text).toMatch(/^wsrep_gtid_mode = ON$/m);
    expect(text).toMatch(/^wsrep_gtid_domain_id = 1$/m);
    expect(text).toMatch(/^binlog_format = ROW$/m);
    expect(text).toMatch(/^innodb_autoinc_lock_mode = 2$/m);
    expect(text).toMatch(/^\[sst\]\nssl-mode = DISABLED$/m);
    expect(text).not.toMatch(/wsrep_sst_auth/);
  });
});

describe('cluster decisions', () => {
  it('bootstraps the node that left last, else the most advanced, else node 1', () => {
    const s = (seqno: number, safe = false) => ({ seqno, safeToBootstrap: safe });
    expect(bootstrapCandidate([undefined, undefined, undefined])).toEqual({ index: 1, force: false });
    expect(bootstrapCandidate([s(5), s(9, true), s(7)])).toEqual({ index: 2, force: false });
    expect(bootstrapCandidate([s(5), s(4), s(7)])).toEqual({ index: 3, force: true });
  });

  it('uses mariabackup as root (rsync daemon drops to nobody), rsync otherwise', () => {
    expect(chooseSstMethod(() => true, true)).toBe('mariabackup');
    expect(chooseSstMethod(() => true, false)).toBe('rsync');
    expect(chooseSstMethod((p) => p === 'rsync', true)).toBe('rsync');
    expect(() => chooseSstMethod(() => false, false)).toThrow(expect.objectContaining({ code: 'E_CLUSTER' }));
  });

  it('names the package when the provider library is missing', () => {
    expect(() => findGaleraProvider(['/nonexistent/libgalera_smm.so'])).toThrow(
      expect.objectContaining({ code: 'E_CLUSTER', hint: expect.stringMatching(/galera-4/) }),
    );
  });
});

describe('Galera health checks', () => {
  const t = healthDefaults(false).thresholds;
  const vars = new Map([
    ['wsrep_on', 'ON'],
    ['wsrep_cluster_address', 'gcomm://127.0.0.1:1,127.0.0.1:2,127.0.0.1:3'],
  ]);
  const status = (over: Record<string, string>) =>
    new Map(
      Object.entries({
        wsrep_cluster_size: '3',
        wsrep_cluster_status: 'Primary',
        wsrep_local_state_comment: 'Synced',
        wsrep_flow_control_paused: '0.01',
        wsrep_local_recv_queue_avg: '0.5',
        ...over,
      }),
    );
  const byName = (over: Record<string, string>) =>
    new Map(galeraChecks(status(over), vars, t).map((c) => [c.name, c]));

  it('runs only when wsrep is on', () => {
    expect(galeraChecks(status({}), new Map([['wsrep_on', 'OFF']]), t)).toEqual([]);
    expect(gcommNodeCount('gcomm://')).toBe(0);
    expect(gcommNodeCount('gcomm://a:1,b:2?pc.wait_prim=no')).toBe(2);
  });

  it('judges size, component, state, flow control and receive queue', () => {
    const ok = byName({});
    expect([...ok.values()].map((c) => c.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(byName({ wsrep_cluster_size: '2' }).get('galera_cluster_size')?.status).toBe('warning');
    expect(byName({ wsrep_cluster_size: '1' }).get('galera_cluster_size')?.status).toBe('critical');
    expect(byName({ wsrep_cluster_status: 'non-Primary' }).get('galera_cluster_status')?.status).toBe(
      'critical',
    );
    expect(byName({ wsrep_local_state_comment: 'Donor/Desynced' }).get('galera_node_state')?.status).toBe(
      'warning',
    );
    expect(byName({ wsrep_local_state_comment: 'Joining' }).get('galera_node_state')?.status).toBe(
      'critical',
    );
    expect(byName({ wsrep_flow_control_paused: '0.2' }).get('galera_flow_control')).toMatchObject({
      status: 'warning',
      value: 20,
    });
    expect(byName({ wsrep_local_recv_queue_avg: '150' }).get('galera_recv_queue')?.status).toBe('critical');
  });
});

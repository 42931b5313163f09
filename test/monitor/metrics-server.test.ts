/** The pure parts of /metrics: mysqld_exporter's value rules, replica column names, escaping. */
import { describe, expect, it } from 'vitest';
import { Exposition, escapeLabel, formatValue, labelSet } from '../../src/monitor/metrics/exposition.js';
import {
  classicReplicaColumn,
  parseServerValue,
  writeGlobalStatus,
  writeReplicaStatus,
} from '../../src/monitor/metrics/server.js';

describe('server values the way mysqld_exporter reads them', () => {
  it('maps switches and states to 1/0, numbers to numbers, and skips everything else', () => {
    expect(['ON', 'Yes', 'YES', 'on', 'Primary'].map(parseServerValue)).toEqual([1, 1, 1, 1, 1]);
    expect(
      ['OFF', 'No', 'DISABLED', 'Connecting', 'non-Primary', 'Disconnected'].map(parseServerValue),
    ).toEqual([0, 0, 0, 0, 0, 0]);
    expect(['42', '-1', '0.5', '.5', '1e3', '18446744073709551615'].map(parseServerValue)).toEqual([
      42,
      -1,
      0.5,
      0.5,
      1000,
      2 ** 64,
    ]);
    for (const skipped of [
      '',
      null,
      '10.11.19-MariaDB',
      'mysql-bin.000003',
      '/var/lib/mysql/',
      ' 5',
      '1,2',
      'Nov 28 15:33:03 2036 GMT',
    ]) {
      expect(parseServerValue(skipped)).toBeUndefined();
    }
  });

  it('writes the grouped status families with their labels, and drops pages_total', () => {
    const out = new Exposition();
    writeGlobalStatus(out, [
      { Variable_name: 'Com_select', Value: '7' },
      { Variable_name: 'Uptime', Value: '100' },
      { Variable_name: 'Com_insert', Value: '3' },
      { Variable_name: 'Innodb_buffer_pool_pages_free', Value: '10' },
      { Variable_name: 'Innodb_buffer_pool_pages_dirty', Value: '2' },
      { Variable_name: 'Innodb_buffer_pool_pages_total', Value: '12' },
      { Variable_name: 'Innodb_buffer_pool_pages_flushed', Value: '5' },
      { Variable_name: 'Ssl_version', Value: 'TLSv1.3' },
    ]);
    const lines = out
      .toString()
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(lines).toEqual([
      'mysql_global_status_uptime 100',
      'mysql_global_status_buffer_pool_dirty_pages 2',
      'mysql_global_status_commands_total{command="select"} 7',
      'mysql_global_status_commands_total{command="insert"} 3',
      'mysql_global_status_buffer_pool_pages{state="free"} 10',
      'mysql_global_status_buffer_pool_page_changes_total{operation="flushed"} 5',
    ]);
  });
});

describe('replica status', () => {
  it('gives MySQL 8 SHOW REPLICA STATUS columns their classic SHOW SLAVE STATUS names', () => {
    expect(classicReplicaColumn('Seconds_Behind_Source')).toBe('Seconds_Behind_Master');
    expect(classicReplicaColumn('Replica_IO_Running')).toBe('Slave_IO_Running');
    expect(classicReplicaColumn('Relay_Source_Log_File')).toBe('Relay_Master_Log_File');
    expect(classicReplicaColumn('Replicate_Do_DB')).toBe('Replicate_Do_DB');
  });

  it('writes one series per channel, labelled like the exporter', () => {
    const out = new Exposition();
    writeReplicaStatus(out, [
      {
        Source_Host: 'a',
        Source_UUID: 'u1',
        Channel_Name: '',
        Replica_IO_Running: 'Yes',
        Seconds_Behind_Source: 3,
      },
      {
        Source_Host: 'b',
        Source_UUID: 'u2',
        Channel_Name: 'c2',
        Replica_IO_Running: 'Connecting',
        Seconds_Behind_Source: null,
      },
    ]);
    const text = out.toString();
    expect(text).toContain(
      'mysql_slave_status_slave_io_running{master_host="a",master_uuid="u1",channel_name=""} 1',
    );
    expect(text).toContain(
      'mysql_slave_status_slave_io_running{master_host="b",master_uuid="u2",channel_name="c2"} 0',
    );
    expect(text).toContain(
      'mysql_slave_status_seconds_behind_master{master_host="a",master_uuid="u1",channel_name=""} 3',
    );
    // NULL lag (SQL thread stopped) is no sample at all, as with the exporter.
    expect(text).not.toContain('seconds_behind_master{master_host="b"');
    expect(text.match(/# TYPE mysql_slave_status_slave_io_running /g)).toHaveLength(1);
  });
});

describe('exposition text', () => {
  it('escapes label values and spells infinities the way the format does', () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(labelSet([['shape', 'SELECT "x"']])).toBe('{shape="SELECT \\"x\\""}');
    expect([Infinity, -Infinity, Number.NaN, 1.5].map(formatValue)).toEqual(['+Inf', '-Inf', 'NaN', '1.5']);
  });
});

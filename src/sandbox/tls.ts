/**
 * Certificates for the sandbox: a private CA, a server certificate valid for 127.0.0.1, ::1 and
 * localhost, and a client certificate, made with the openssl CLI into `dir/tls/`. Keys are written
 * by openssl into files (never passed on a command line) and end up 0600.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { MysqlopsError } from '../errors.js';
import { installCommand } from './binary.js';
import { childEnv } from './child-env.js';
import type { SandboxPaths } from './paths.js';

const execFileAsync = promisify(execFile);
const DAYS = '3650';

// Our own config file: the system openssl.cnf differs between distributions and may add extensions.
const OPENSSL_CNF = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = mysqlops
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost
authorityKeyIdentifier = keyid
[client_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
`;

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await execFileAsync('openssl', args, { cwd, timeout: 60_000, env: childEnv() });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new MysqlopsError({
        code: 'E_SERVER_MISSING',
        message: 'openssl is not installed; it is needed to make the sandbox TLS certificates',
        hint: installCommand(['openssl']),
        exitCode: 2,
      });
    }
    throw new MysqlopsError({
      code: 'E_SANDBOX',
      message: `openssl ${args[0] ?? ''} failed: ${(e.stderr ?? e.message).trim().split('\n').slice(-3).join(' | ')}`,
      hint: 'check that the openssl command works (openssl version)',
      cause: err,
    });
  }
}

function serial(): string {
  // Positive 63-bit serial: a leading 0-7 nibble keeps the top bit clear.
  return `0x${(randomBytes(1)[0] ?? 0) % 8}${randomBytes(7).toString('hex')}`;
}

async function issue(dir: string, who: 'server' | 'client', cn: string): Promise<void> {
  await openssl(
    ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', `${who}-key.pem`],
    dir,
  );
  await openssl(
    [
      'req',
      '-config',
      'openssl.cnf',
      '-new',
      '-key',
      `${who}-key.pem`,
      '-subj',
      `/CN=${cn}`,
      '-out',
      `${who}.csr`,
    ],
    dir,
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${who}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-set_serial',
      serial(),
      '-days',
      DAYS,
      '-sha256',
      '-extfile',
      'openssl.cnf',
      '-extensions',
      `${who}_ext`,
      '-out',
      `${who}-cert.pem`,
    ],
    dir,
  );
  fs.rmSync(path.join(dir, `${who}.csr`));
}

/**
 * Make the certificates unless they all exist. Generated in a temp directory and renamed into place,
 * so an interrupted run leaves either no tls/ or a complete one. Returns true when it made them.
 */
export async function ensureTls(paths: SandboxPaths): Promise<boolean> {
  if (hasTls(paths)) return false;
  fs.rmSync(paths.tlsDir, { recursive: true, force: true });
  const tmp = `${paths.tlsDir}.tmp-${randomBytes(4).toString('hex')}`;
  // 0700 from the start: keys are private before openssl has even finished writing them.
  fs.mkdirSync(tmp, { mode: 0o700 });
  try {
    fs.writeFileSync(path.join(tmp, 'openssl.cnf'), OPENSSL_CNF, { mode: 0o600 });
    await openssl(
      ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', 'ca-key.pem'],
      tmp,
    );
    await openssl(
      [
        'req',
        '-config',
        'openssl.cnf',
        '-new',
        '-x509',
        '-key',
        'ca-key.pem',
        '-subj',
        `/CN=mysqlops sandbox ${paths.name} CA`,
        '-days',
        DAYS,
        '-sha256',
        '-extensions',
        'ca_ext',
        '-set_serial',
        serial(),
        '-out',
        'ca.pem',
      ],
      tmp,
    );
    // The server and client CNs must differ from the CA's, or MySQL rejects the chain.
    await issue(tmp, 'server', 'localhost');
    await issue(tmp, 'client', 'root');
    for (const f of fs.readdirSync(tmp)) {
      fs.chmodSync(path.join(tmp, f), f.endsWith('-key.pem') || f === 'openssl.cnf' ? 0o600 : 0o644);
    }
    fs.renameSync(tmp, paths.tlsDir);
    return true;
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** True when every certificate and key the sandbox needs exists. */
export function hasTls(paths: SandboxPaths): boolean {
  return [paths.caFile, paths.serverCert, paths.serverKey, paths.clientCert, paths.clientKey].every((f) =>
    fs.existsSync(f),
  );
}

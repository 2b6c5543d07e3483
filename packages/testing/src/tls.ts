import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
  ca: string;
  cert: string;
  key: string;
}

/** A throwaway CA and a server certificate for 127.0.0.1/localhost, made with openssl at run time. */
export function generateTlsFiles(dir: string): TlsFiles {
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certFile = join(dir, 'server.crt');
  const ext = join(dir, 'server.ext');
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  run(['genrsa', '-out', caKey, '2048']);
  run([
    'req',
    '-x509',
    '-new',
    '-nodes',
    '-key',
    caKey,
    '-sha256',
    '-days',
    '2',
    '-subj',
    '/CN=redis-toolkit test CA',
    '-out',
    caFile,
  ]);
  run(['genrsa', '-out', keyFile, '2048']);
  run(['req', '-new', '-key', keyFile, '-subj', '/CN=localhost', '-out', csr]);
  execFileSync('sh', ['-c', `printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > '${ext}'`]);
  run([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    caFile,
    '-CAkey',
    caKey,
    '-CAcreateserial',
    '-out',
    certFile,
    '-days',
    '2',
    '-sha256',
    '-extfile',
    ext,
  ]);
  return {
    caFile,
    certFile,
    keyFile,
    ca: readFileSync(caFile, 'utf8'),
    cert: readFileSync(certFile, 'utf8'),
    key: readFileSync(keyFile, 'utf8'),
  };
}

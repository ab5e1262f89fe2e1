/**
 * Credentials planted in every kind of text the collector stores — plain command output, JSON
 * (kubectl, docker inspect, CNI conflists), YAML (kubeconfig, ConfigMap data), env files, logs
 * — are replaced and counted; the documents stay parseable; networking data (iptables
 * comments, Service names, kube objects that only name secrets) is left exactly as it was.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { credentialKindOfKey, redactBytes, redactText, RedactionReport } from '../../collector/redact.js';

// Credentials that look real but are not (random, or documented examples).
const JWT =
  'eyJhbGciOiJSUzI1NiIsImtpZCI6IjFxV2VfQ0RqIn0.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50Iiwic3ViIjoic3lzdGVtOnNlcnZpY2VhY2NvdW50Omt1YmUtc3lzdGVtOmNhbGljby1ub2RlIn0.dGhpcy1pcy1ub3QtYS1yZWFsLXNpZ25hdHVyZS1idXQtbG9va3MtbGlrZS1vbmU';
const PEM_BODY = 'MIIEowIBAAKCAQEA1q7uYb7k2d3bXn0nqyv3cmVkYWN0LW1lLXBsZWFzZS1pdC1pcy1mYWtl\nk2d3bXn0nqyv3cmVkYWN0LW1lLXBsZWFzZS1pdC1pcy1mYWtlMIIEowIBAAKCAQEA1q7uYb7';
const PEM = `-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----`;
const CERT = '-----BEGIN CERTIFICATE-----\nMIIC5zCCAc+gAwIBAgIBADANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwprdWJl\n-----END CERTIFICATE-----';
const PEM_B64 = Buffer.from(`${PEM}\n`).toString('base64');
const CERT_B64 = Buffer.from(`${CERT}\n`).toString('base64');
const AWS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const GCP_KEY = 'AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI';
const AZURE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const SAS_SIG = 'Z%2FRHIX5Xcg0Mq2rqI3OlWTjEg2tYkboXr1P9ZUXDtkk%3D';
const PASSWORD = 'hunter2-Correct-Horse';
const BASIC = Buffer.from('admin:s3cr3t-pass').toString('base64');

const ALL_SECRETS = [JWT, PEM_BODY.split('\n')[0]!, PEM_B64.slice(0, 40), AWS_KEY_ID, AWS_SECRET, GCP_KEY, AZURE_KEY, SAS_SIG, PASSWORD, BASIC, 'tok-9f8e7d6c5b4a'];

function expectGone(text: string): void {
  for (const secret of ALL_SECRETS) expect(text, `still holds ${secret}`).not.toContain(secret);
}

describe('redactText: each kind of credential', () => {
  it.each([
    ['a PEM private key', `key:\n${PEM}\n`, 'private-key', 1],
    ['a PEM private key inside a JSON string', JSON.stringify({ private_key: `${PEM}\n` }), 'private-key', 1],
    ['a PEM private key cut short', `-----BEGIN PRIVATE KEY-----\n${PEM_BODY}\n`, 'private-key', 1],
    ['a base64 PEM private key (kubeconfig client-key-data)', `    client-key-data: ${PEM_B64}\n`, 'private-key', 1],
    ['a JWT', `token: ${JWT}\n`, 'jwt', 1],
    ['a password in a URL', 'forward to postgres://app:hunter2-Correct-Horse@db.internal:5432/app\n', 'url-password', 1],
    ['a bearer token', 'Authorization: Bearer tok-9f8e7d6c5b4a\n', 'bearer-token', 1],
    ['a basic-auth header', `Authorization: Basic ${BASIC}\n`, 'basic-auth', 1],
    ['an AWS access key id', `AWS_ACCESS_KEY_ID=${AWS_KEY_ID}\n`, 'aws-access-key', 1],
    ['an AWS secret key', `aws_secret_access_key = ${AWS_SECRET}\n`, 'aws-secret-key', 1],
    ['a GCP API key', `https://maps.googleapis.com/maps/api/geocode/json?key=${GCP_KEY}\n`, 'gcp-api-key', 1],
    ['an Azure storage key', `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${AZURE_KEY};EndpointSuffix=core.windows.net\n`, 'azure-storage-key', 1],
    ['an Azure SAS signature', `https://acct.blob.core.windows.net/c/b?sv=2022-11-02&se=2026-12-01&sp=r&sig=${SAS_SIG}\n`, 'azure-sas-signature', 1],
    ['password= in a config', `password=${PASSWORD}\n`, 'password', 1],
    ['token= in a query string', 'GET /api?user=x&token=tok-9f8e7d6c5b4a&page=2\n', 'token', 1],
    ['a --token flag', 'kubelet --token=tok-9f8e7d6c5b4a --v=2\n', 'token', 1],
    ['a YAML secret value', 'clientSecret: tok-9f8e7d6c5b4a\n', 'secret', 1],
    ['an api key in an env file', 'export STRIPE_API_KEY="tok-9f8e7d6c5b4a"\n', 'api-key', 1],
  ])('%s', (_what, text, kind, count) => {
    const result = redactText(text);
    expect(result.counts).toEqual({ [kind]: count });
    expect(result.total).toBe(count);
    expect(result.text).toContain(`<redacted:${kind}>`);
    expectGone(result.text);
  });

  it('keeps certificates and public parts, and the user name of a URL', () => {
    const text = `certificate-authority-data: ${CERT_B64}\n${CERT}\nhttps://admin:${PASSWORD}@registry.local/v2\n`;
    const result = redactText(text);
    expect(result.counts).toEqual({ 'url-password': 1 });
    expect(result.text).toContain(CERT_B64);
    expect(result.text).toContain(CERT);
    expect(result.text).toContain('https://admin:<redacted:url-password>@registry.local/v2');
  });
});

describe('redactText: documents stay valid', () => {
  it('docker inspect JSON: Env entries, Cmd arguments and labels', () => {
    const container = [
      {
        Id: '4b5c6d7e8f90',
        Name: '/api',
        Config: {
          Env: [
            `DB_PASSWORD=${PASSWORD}`,
            `DATABASE_URL=postgres://api:${PASSWORD}@db:5432/api`,
            `AWS_ACCESS_KEY_ID=${AWS_KEY_ID}`,
            `AWS_SECRET_ACCESS_KEY=${AWS_SECRET}`,
            `JWT_SIGNING_KEY=${JWT}`,
            'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin',
            'TOKEN_FILE=/run/secrets/token',
          ],
          Cmd: ['--upstream-auth', `Basic ${BASIC}`, '--api-key', GCP_KEY],
          Labels: { 'com.example.secret-name': 'db-credentials', 'com.example.password': PASSWORD },
        },
      },
    ];
    const text = JSON.stringify(container, null, 4);
    const result = redactText(text);
    const parsed = JSON.parse(result.text);
    expectGone(result.text);
    expect(parsed[0].Config.Env).toEqual([
      'DB_PASSWORD=<redacted:password>',
      'DATABASE_URL=postgres://api:<redacted:url-password>@db:5432/api',
      'AWS_ACCESS_KEY_ID=<redacted:aws-access-key>',
      'AWS_SECRET_ACCESS_KEY=<redacted:aws-secret-key>',
      'JWT_SIGNING_KEY=<redacted:jwt>',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin',
      'TOKEN_FILE=/run/secrets/token',
    ]);
    expect(parsed[0].Config.Labels).toEqual({ 'com.example.secret-name': 'db-credentials', 'com.example.password': '<redacted:password>' });
    expect(result.counts).toEqual({ password: 2, 'url-password': 1, 'aws-access-key': 1, 'aws-secret-key': 1, jwt: 1, 'basic-auth': 1, 'gcp-api-key': 1 });
  });

  it('kubectl JSON: env pairs, ConfigMap data holding YAML, numbers stay JSON', () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'api-0', namespace: 'shop', annotations: { 'vault.example/inject': 'true' } },
      spec: {
        automountServiceAccountToken: false,
        serviceAccountName: 'api',
        containers: [
          {
            name: 'api',
            env: [
              { name: 'DB_PASSWORD', value: PASSWORD },
              { name: 'LOG_LEVEL', value: 'debug' },
              { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } },
            ],
          },
        ],
        volumes: [
          { name: 'tls', secret: { secretName: 'api-tls' } },
          { name: 'kube-api-access', projected: { sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }] } },
        ],
      },
    };
    const configMap = {
      kind: 'ConfigMap',
      metadata: { name: 'app-config', namespace: 'shop' },
      data: { 'app.yaml': `database:\n  host: db\n  password: ${PASSWORD}\n  pool: 5\n`, 'client.ini': `user: app\npassword: ${PASSWORD}\nport: 5432` },
    };
    const settings = { password: 123456789, token: 'tok-9f8e7d6c5b4a' };
    const text = JSON.stringify({ kind: 'List', items: [pod, configMap, settings] }, null, 4);
    const result = redactText(text);
    const parsed = JSON.parse(result.text);
    expect(parsed.items[0].spec.containers[0].env[0]).toEqual({ name: 'DB_PASSWORD', value: '<redacted:password>' });
    expect(parsed.items[0].spec.containers[0].env[1]).toEqual({ name: 'LOG_LEVEL', value: 'debug' });
    expect(parsed.items[0].spec.containers[0].env[2]).toEqual(pod.spec.containers[0]!.env[2]);
    expect(parsed.items[0].spec.volumes).toEqual(pod.spec.volumes);
    expect(parsed.items[0].spec.automountServiceAccountToken).toBe(false);
    expect(parsed.items[1].data['app.yaml']).toBe('database:\n  host: db\n  password: <redacted:password>\n  pool: 5\n');
    expect(parsed.items[1].data['client.ini']).toBe('user: app\npassword: <redacted:password>\nport: 5432');
    expect(parsed.items[2]).toEqual({ password: '<redacted:password>', token: '<redacted:token>' });
    expect(result.text).not.toContain(PASSWORD);
  });

  it('a kubeconfig (YAML): token, client key, basic-auth password; the CA stays', () => {
    const kubeconfig = [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- cluster:',
      `    certificate-authority-data: ${CERT_B64}`,
      '    server: https://10.96.0.1:443',
      '  name: local',
      'users:',
      '- name: calico',
      '  user:',
      `    token: ${JWT}`,
      '- name: admin',
      '  user:',
      `    client-key-data: ${PEM_B64}`,
      '- name: legacy',
      '  user:',
      '    username: admin',
      `    password: "${PASSWORD}"`,
      '',
    ].join('\n');
    const result = redactText(kubeconfig);
    const parsed = parseYaml(result.text);
    expect(parsed.users[0].user.token).toBe('<redacted:jwt>');
    expect(parsed.users[1].user['client-key-data']).toBe('<redacted:private-key>');
    expect(parsed.users[2].user.password).toBe('<redacted:password>');
    expect(parsed.clusters[0].cluster['certificate-authority-data']).toBe(CERT_B64);
    expect(result.counts).toEqual({ jwt: 1, 'private-key': 1, password: 1 });
  });

  it('YAML env pairs in kubectl -o yaml', () => {
    const yaml = `    env:\n    - name: REDIS_PASSWORD\n      value: ${PASSWORD}\n    - name: MODE\n      value: cluster\n`;
    const result = redactText(yaml);
    expect(result.text).toBe('    env:\n    - name: REDIS_PASSWORD\n      value: <redacted:password>\n    - name: MODE\n      value: cluster\n');
    expect(result.counts).toEqual({ password: 1 });
  });
});

describe('redactText leaves networking data alone', () => {
  it('iptables comments naming Services after tokens and secrets', () => {
    const dump = [
      '*nat',
      ':KUBE-SERVICES - [0:0]',
      '-A KUBE-SERVICES -d 10.96.12.7/32 -p tcp -m comment --comment "auth/token-service:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-ABCDEFGHIJKLMNOP',
      '-A KUBE-SEP-QRSTUVWXYZ012345 -p tcp -m comment --comment "vault/secrets-api:https" -m tcp -j DNAT --to-destination 10.244.1.7:8443',
      'COMMIT',
      '',
    ].join('\n');
    expect(redactText(dump)).toEqual({ text: dump, counts: {}, total: 0 });
  });

  it('prose about tokens and passwords in events and logs', () => {
    const text = [
      'MountVolume.SetUp failed for volume "kube-api-access-x7k2p" : failed to fetch token: serviceaccounts "api" not found',
      'E1126 10:00:00.000000 1 reflector.go:147] failed to list *v1.Secret: Unauthorized: bearer token rejected',
      'the password was rotated; Basic authentication is disabled',
      '',
    ].join('\n');
    expect(redactText(text).total).toBe(0);
  });

  it('every shared sample of real tool output is unchanged', () => {
    const samples = join(process.cwd(), '../shared/samples');
    if (!existsSync(samples)) {
      console.warn(`skipped: ${samples} is absent (real tool outputs)`);
      return;
    }
    const changed: string[] = [];
    for (const name of readdirSync(samples)) {
      const text = readFileSync(join(samples, name), 'utf8');
      const result = redactText(text);
      if (result.total > 0) changed.push(`${name}: ${JSON.stringify(result.counts)}`);
    }
    expect(changed).toEqual([]);
  });
});

describe('credentialKindOfKey', () => {
  it.each([
    ['DB_PASSWORD', 'password'],
    ['clientSecret', 'secret'],
    ['AWS_SECRET_ACCESS_KEY', 'aws-secret-key'],
    ['x-auth-token', 'token'],
    ['apiKey', 'api-key'],
    ['private_key', 'private-key'],
    ['secretName', undefined],
    ['tokenFile', undefined],
    ['passwordSecretRef', undefined],
    ['private_key_id', undefined],
    ['ssl-passthrough', undefined],
    ['serviceAccountName', undefined],
  ])('%s → %s', (key, kind) => {
    expect(credentialKindOfKey(key)).toBe(kind);
  });
});

describe('redactBytes', () => {
  it('keeps non-UTF-8 bytes around a redaction byte for byte', () => {
    const data = Buffer.concat([Buffer.from('alias caf'), Buffer.from([0xe9]), Buffer.from(`\npassword=${PASSWORD}\n`)]);
    const result = redactBytes(data);
    expect(result.data).toEqual(Buffer.concat([Buffer.from('alias caf'), Buffer.from([0xe9]), Buffer.from('\npassword=<redacted:password>\n')]));
    expect(result.total).toBe(1);
  });

  it('returns binary content untouched', () => {
    const data = Buffer.from([0x00, ...Buffer.from(`password=${PASSWORD}`)]);
    expect(redactBytes(data)).toEqual({ data, counts: {}, total: 0 });
  });
});

describe('RedactionReport', () => {
  it('lists kind and count per file and where, and totals them', () => {
    const report = new RedactionReport();
    report.add('nodes/a/docker/containers.json', 'output', { password: 2, jwt: 1 });
    report.add('nodes/a/cni/calico-kubeconfig', 'output', { jwt: 1 });
    report.add('nodes/a/docker/networks.json', 'stderr', { 'url-password': 1 });
    expect(report.list()).toEqual([
      { path: 'nodes/a/cni/calico-kubeconfig', in: 'output', kind: 'jwt', count: 1 },
      { path: 'nodes/a/docker/containers.json', in: 'output', kind: 'jwt', count: 1 },
      { path: 'nodes/a/docker/containers.json', in: 'output', kind: 'password', count: 2 },
      { path: 'nodes/a/docker/networks.json', in: 'stderr', kind: 'url-password', count: 1 },
    ]);
    expect(report.total).toBe(5);
    expect(report.byKind()).toEqual({ password: 2, jwt: 2, 'url-password': 1 });
  });
});

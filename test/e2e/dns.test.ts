// Finding the server as a real account needs it: DNS SRV (RFC 6120 §3.2) and XEP-0368 direct TLS,
// asked of a loopback resolver (Debian's dnsmasq, started here and stopped by PID) that serves
// records for the fixture domain: a dead direct-TLS server first, then the fixture's direct-TLS
// port, then STARTTLS. Also --direct-tls, IPv6, and a client pointed at the wrong kind of port.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { randomFile, receiver, sha256File, tempDir, xfer } from '../helpers/cli.js';
import { jidOf, PROSODY } from '../helpers/fixture.js';
import path from 'node:path';

const A = 'xena';
const B = 'yuri';
const DNS_PORT = 25228;
const c2s = Number(PROSODY.server.split(':')[1]);
const dtls = Number(process.env.XFER_TEST_DIRECT_TLS?.split(':')[1] ?? c2s + 4);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

describe('finding the server: DNS SRV, direct TLS, IPv6', () => {
  let dns: ChildProcess;
  before(async () => {
    const dead = await freePort();
    dns = spawn('dnsmasq', [
      '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--bind-interfaces', '--listen-address=127.0.0.1', `--port=${DNS_PORT}`, '--log-facility=-', '--user=root',
      `--srv-host=_xmpps-client._tcp.${PROSODY.domain},localhost,${dead},5,0`,
      `--srv-host=_xmpps-client._tcp.${PROSODY.domain},localhost,${dtls},10,0`,
      `--srv-host=_xmpp-client._tcp.${PROSODY.domain},localhost,${c2s},20,0`,
      // a domain that says "no XMPP here"
      '--srv-host=_xmpp-client._tcp.nothing.test,.,0,0,0',
    ], { stdio: 'ignore' });
    for (let i = 0; i < 50; i++) {
      const up = await new Promise<boolean>((r) => net.connect(DNS_PORT, '127.0.0.1').on('connect', function (this: net.Socket) { this.destroy(); r(true); }).on('error', () => r(false)));
      if (up) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('dnsmasq did not start');
  });
  after(() => void dns?.kill('SIGTERM'));

  async function sendVia(args: string[]) {
    const out = tempDir();
    const f = randomFile(tempDir(), 'found.bin', 100_000);
    const rx = await receiver(B, ['-o', out, '--from', jidOf(A), '--once', '--timeout', '60']);
    const t0 = Date.now();
    const tx = await xfer(A, ['send', f, jidOf(B), ...args], { noServer: true }).done;
    const r = await rx.done;
    assert.equal(tx.code, 0, tx.stderr + JSON.stringify(tx.events.filter((e) => e.event !== 'progress')));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await sha256File(path.join(out, 'found.bin')), await sha256File(f));
    return { connected: tx.events.find((e) => e.event === 'connected'), ms: Date.now() - t0 };
  }

  it('SRV: a dead server first, then direct TLS on the next record (certificate checked against the domain)', async () => {
    const { connected, ms } = await sendVia(['--dns-server', `127.0.0.1:${DNS_PORT}`]);
    assert.equal(connected.server, `localhost:${dtls} (direct TLS, from DNS SRV)`);
    assert.ok(ms < 10000, `took ${ms} ms`);
  });

  it('--server with --direct-tls', async () => {
    const { connected } = await sendVia(['--server', `127.0.0.1:${dtls}`, '--direct-tls']);
    assert.match(connected.server, /direct TLS/);
  });

  it('an IPv6 literal in --server', async () => {
    const { connected } = await sendVia(['--server', `[::1]:${c2s}`]);
    assert.equal(connected.server, `[::1]:${c2s} (STARTTLS)`);
  });

  it('STARTTLS pointed at a direct-TLS port: one clear error, exit 4', async () => {
    const r = await xfer(A, ['send', randomFile(tempDir(), 'x.bin', 10), jidOf(B), '--server', `127.0.0.1:${dtls}`], { noServer: true }).done;
    assert.equal(r.code, 4, r.stderr);
    assert.equal(r.events.filter((e) => e.event === 'error').length, 1);
  });

  it('a domain whose SRV record says "no service": exit 4, no connection attempt', async () => {
    const r = await xfer(A, ['send', randomFile(tempDir(), 'x.bin', 10), 'someone@nothing.test', '--dns-server', `127.0.0.1:${DNS_PORT}`], { noServer: true, jid: 'someone@nothing.test' }).done;
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.events.find((e) => e.event === 'error').message, /no XMPP client service/);
  });

  it('see-other-host: the login follows the server to the host it names', async () => {
    // A server that only says "connect there instead" (RFC 6120 §4.9.3.19).
    const redirector = net.createServer((sock) => {
      sock.on('error', () => {});
      sock.once('data', () =>
        sock.end(
          "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='r' from='localhost' version='1.0'>" +
            `<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>127.0.0.1:${c2s}</see-other-host></stream:error></stream:stream>`,
        ),
      );
    });
    await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', () => r()));
    try {
      const { connected } = await sendVia(['--server', `127.0.0.1:${(redirector.address() as net.AddressInfo).port}`]);
      assert.equal(connected.server, `127.0.0.1:${c2s} (STARTTLS, see-other-host)`);
    } finally {
      redirector.close();
    }
  });
});

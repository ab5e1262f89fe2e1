/**
 * Source of the small Node program that sends test packets from inside a network namespace.
 * It is started once per namespace (`ip netns exec <ns> node -e PACKET_AGENT_SOURCE`) so that a
 * packet costs a line on stdin instead of a process start.
 *
 * Input, one JSON object a line:  {"id":1,"proto":"tcp","src":"10.244.1.5","sport":40001,"dst":"10.96.0.10","dport":80,"holdMs":50}
 * Output, one JSON object a line: {"id":1,"result":"no-answer"}  (result: connected | refused |
 *   unreachable | no-answer | sent | error, with the errno code for errors)
 *
 * TCP sends exactly one SYN: the socket is destroyed after holdMs, well before the kernel's first
 * SYN retransmission (1 s initial RTO), and destroying a SYN_SENT socket sends nothing.
 * UDP sends one datagram. Either way the answer comes only after the packet has left the sender,
 * so the caller knows the kernel has seen it. The agent exits when its stdin closes.
 */
export const PACKET_AGENT_SOURCE = String.raw`
const net = require('node:net');
const dgram = require('node:dgram');
const readline = require('node:readline');
const answer = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const resultOf = (code) =>
  code === 'ECONNREFUSED' ? 'refused'
  : code === 'EHOSTUNREACH' || code === 'ENETUNREACH' ? 'unreachable'
  : 'error';
function sendTcp(c) {
  let done = false;
  const socket = net.connect({ host: c.dst, port: c.dport, localAddress: c.src, localPort: c.sport });
  const finish = (result, code) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    socket.destroy();
    answer({ id: c.id, result, code });
  };
  const timer = setTimeout(() => finish('no-answer'), c.holdMs);
  socket.on('connect', () => finish('connected'));
  socket.on('error', (e) => finish(resultOf(e.code), e.code));
}
function sendUdp(c) {
  const socket = dgram.createSocket(c.dst.includes(':') ? 'udp6' : 'udp4');
  const finish = (result, code) => setTimeout(() => { socket.close(); answer({ id: c.id, result, code }); }, c.holdMs);
  socket.on('error', (e) => { socket.close(); answer({ id: c.id, result: 'error', code: e.code }); });
  socket.bind({ address: c.src, port: c.sport, exclusive: true }, () => {
    socket.send(Buffer.from('netdump-kernel-oracle'), c.dport, c.dst, (e) => (e ? finish('error', e.code) : finish('sent')));
  });
}
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const c = JSON.parse(line);
  try {
    if (c.proto === 'tcp') sendTcp(c); else sendUdp(c);
  } catch (e) {
    answer({ id: c.id, result: 'error', code: String(e && (e.code || e.message)) });
  }
});
`;

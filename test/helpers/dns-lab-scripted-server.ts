/**
 * Source of the scripted DNS server of the DNS lab (dns-lab.ts): a tiny UDP server for what
 * dnsmasq will not do — never answer, or answer one query type and drop the other (the
 * conntrack race as a client sees it). Started inside the lab namespace with
 * `ip netns exec <ns> node -e SCRIPTED_SERVER_SOURCE <address> <log file> <actions JSON>`.
 *
 * Actions, per query type: {"A": "drop" | "NXDOMAIN" | "SERVFAIL" | "REFUSED" | "<IPv4>",
 * "AAAA": ... "<IPv6>"}; a missing type is dropped. Every query is appended to the log file in
 * the shape dnsmasq's `--log-queries=extra` uses, so that one reader parses both:
 *
 *   1 10.96.0.20/43120 query[A] api.example.com from 10.96.0.20
 *
 * The server writes `ready` on stdout once bound.
 */
export const SCRIPTED_SERVER_SOURCE = String.raw`
const dgram = require('node:dgram');
const fs = require('node:fs');
const net = require('node:net');
const [address, logFile, actionsJson] = process.argv.slice(1);
const actions = JSON.parse(actionsJson);
const TYPES = { 1: 'A', 28: 'AAAA' };
const RCODES = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3, REFUSED: 5 };
let serial = 0;

function readQuestion(packet) {
  const labels = [];
  let at = 12;
  while (at < packet.length && packet[at] !== 0) {
    const length = packet[at];
    labels.push(packet.subarray(at + 1, at + 1 + length).toString('latin1'));
    at += 1 + length;
  }
  const end = at + 5;
  return { name: labels.join('.'), qtype: packet.readUInt16BE(at + 1), end };
}

function ipv6Bytes(text) {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const part = (s) => (s ? s.split(':').map((h) => parseInt(h, 16)) : []);
  const left = part(head);
  const right = part(tail);
  const groups = tail === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  const bytes = Buffer.alloc(16);
  groups.forEach((g, i) => bytes.writeUInt16BE(g, i * 2));
  return bytes;
}

function reply(query, question, rcode, rdata) {
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2);
  header[2] = 0x84 | (query[2] & 0x79); // QR, AA; opcode and RD copied
  header[3] = 0x80 | rcode; // RA
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(rdata ? 1 : 0, 6);
  const parts = [header, query.subarray(12, question.end)];
  if (rdata) {
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(question.qtype, 2);
    rr.writeUInt16BE(1, 4);
    rr.writeUInt32BE(30, 6);
    rr.writeUInt16BE(rdata.length, 10);
    parts.push(rr, rdata);
  }
  return Buffer.concat(parts);
}

const socket = dgram.createSocket('udp4');
socket.on('message', (query, peer) => {
  let question;
  try {
    question = readQuestion(query);
  } catch {
    return;
  }
  const type = TYPES[question.qtype] ?? 'TYPE' + question.qtype;
  serial++;
  fs.appendFileSync(logFile, serial + ' ' + peer.address + '/' + peer.port + ' query[' + type + '] ' + question.name + ' from ' + peer.address + '\n');
  const action = actions[type] ?? 'drop';
  if (action === 'drop') return;
  let answer;
  if (action in RCODES) answer = reply(query, question, RCODES[action]);
  else if (net.isIPv4(action)) answer = reply(query, question, 0, Buffer.from(action.split('.').map(Number)));
  else answer = reply(query, question, 0, ipv6Bytes(action));
  socket.send(answer, peer.port, peer.address);
});
socket.bind(53, address, () => process.stdout.write('ready\n'));
`;

/*
 * Dictionaries for the edits: short pieces of each format that a random byte rarely hits and a
 * decoder branches on.
 */

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

/** MessagePack headers, several announcing far more data than follows. */
export const MSGPACK_TOKENS: readonly Uint8Array[] = [
  bytes(0xc1), // never used
  bytes(0xc0), // nil
  bytes(0xc2),
  bytes(0xc3),
  bytes(0x90), // empty fixarray
  bytes(0x80), // empty fixmap
  bytes(0x9f), // fixarray of 15
  bytes(0x8f), // fixmap of 15
  bytes(0xdc, 0xff, 0xff), // array 16, 65535 items
  bytes(0xdd, 0xff, 0xff, 0xff, 0xff), // array 32, 4G items
  bytes(0xdf, 0x7f, 0xff, 0xff, 0xff), // map 32
  bytes(0xdb, 0xff, 0xff, 0xff, 0xff), // str 32
  bytes(0xd9, 0xff), // str 8
  bytes(0xc6, 0x7f, 0xff, 0xff, 0xff), // bin 32
  bytes(0xc4, 0x05, 1, 2), // bin 8, short
  bytes(0xd4, 0x01, 0x00), // fixext 1, type 1
  bytes(0xd4, 0x00, 0x00), // fixext 1, type 0 (undefined for msgpackr)
  bytes(0xd6, 0xff, 0, 0, 0, 1), // timestamp 32
  bytes(0xd7, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), // timestamp 64, out of range
  bytes(0xc7, 0x0c, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), // timestamp 96
  bytes(0xc7, 0x03, 0x72, 1, 2, 3), // ext 8, msgpackr's "r" (record) type
  bytes(0xd4, 0x73, 0x00), // fixext 1, type "s" (msgpackr structures)
  bytes(0xd5, 0x65, 0x00, 0x00), // msgpackr "e" (error)
  bytes(0xc8, 0xff, 0xff, 0x01), // ext 16, huge
  bytes(0xc9, 0x7f, 0xff, 0xff, 0xff, 0x02), // ext 32, huge
  bytes(0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), // uint 64 max
  bytes(0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0), // int 64 min
  bytes(0xce, 0xff, 0xff, 0xff, 0xff), // uint 32: 2^32 - 1, the largest ack id
  bytes(0xce, 0x00, 0x00, 0x00, 0x00),
  bytes(0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0), // float 64 NaN
  bytes(0xca, 0xff, 0x80, 0, 0), // float 32 -Infinity
  bytes(0xa1, 0x2f), // "/"
  bytes(0xa1, 0xff), // a string holding invalid UTF-8
];

/** JSON pieces, and the `$bin` form roomcast's JSON codec gives binary values. */
export const JSON_TOKENS: readonly string[] = [
  "[", "]", "{", "}", ",", ":", '"', "\\", "null", "true", "-", "0", "1e999", "-0", "4294967296", "9007199254740993", "1.5",
  '"/"', '{"$bin":"', '{"$bin":"AQID"}', '{"$bin":"*"}', '{"$bin":1}', '"__proto__":', '{"__proto__":{}}', "[[[[[[[[", "\\u0000", "\\ud800",
  "\ud800", "\u0000", "\u2028", "\uffff", '"$PID"', '"$POS"',
];

/** Socket.IO v5 and Engine.IO v4 pieces: type digits, separators, placeholders, base64. */
export const SOCKETIO_TOKENS: readonly string[] = [
  "0", "1", "2", "3", "4", "5", "6", "7", "-", "/", ",", "/admin,", "\x1e", "b", "b=", "bAA==", "bAQID", "b*", "1-", "99-", "4294967296",
  '{"_placeholder":true,"num":0}', '{"_placeholder":true,"num":9}', '{"_placeholder":true}', '{"pid":"$PID","offset":"$POS"}',
  "[", "]", "{", "}", '"', "\\", "null", "\ud800", "\u0000",
];

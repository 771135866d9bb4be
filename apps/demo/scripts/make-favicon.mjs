// Draws src/web/public/favicon.ico (32×32, 32-bit) from the same shapes as favicon.svg: a speech
// bubble on a rounded blue square. Run once after changing the icon: node scripts/make-favicon.mjs
import { writeFileSync } from "node:fs";

const SIZE = 32;
const BLUE = [0x0b, 0x6b, 0xcb];
const WHITE = [0xff, 0xff, 0xff];

function colourAt(x, y) {
  const cx = x + 0.5;
  const cy = y + 0.5;
  const corner = (ax, ay) => Math.hypot(cx - ax, cy - ay) > 7;
  // rounded square, radius 7
  if ((cx < 7 && cy < 7 && corner(7, 7)) || (cx > 25 && cy < 7 && corner(25, 7)) || (cx < 7 && cy > 25 && corner(7, 25)) || (cx > 25 && cy > 25 && corner(25, 25))) return null;
  const inBubble = cx >= 6 && cx <= 26 && cy >= 9 && cy <= 22;
  const inTail = cy > 22 && cy <= 26 && cx >= 10 && cx <= 15 - (cy - 22) * 1.25;
  if (inBubble || inTail) {
    for (const dx of [12, 16, 20]) if (Math.hypot(cx - dx, cy - 15.5) <= 1.6) return BLUE;
    return WHITE;
  }
  return BLUE;
}

// BITMAPINFOHEADER + bottom-up BGRA rows + 1-bit AND mask (all zero: alpha decides)
const pixels = Buffer.alloc(SIZE * SIZE * 4);
for (let y = 0; y < SIZE; y++) {
  for (let x = 0; x < SIZE; x++) {
    const colour = colourAt(x, y);
    const offset = ((SIZE - 1 - y) * SIZE + x) * 4;
    if (colour) pixels.set([colour[2], colour[1], colour[0], 0xff], offset);
  }
}
const mask = Buffer.alloc((SIZE / 8) * SIZE);
const header = Buffer.alloc(40);
header.writeUInt32LE(40, 0);
header.writeInt32LE(SIZE, 4);
header.writeInt32LE(SIZE * 2, 8); // height counts the mask too
header.writeUInt16LE(1, 12);
header.writeUInt16LE(32, 14);
header.writeUInt32LE(pixels.length + mask.length, 20);
const image = Buffer.concat([header, pixels, mask]);

const directory = Buffer.alloc(6 + 16);
directory.writeUInt16LE(1, 2); // type: icon
directory.writeUInt16LE(1, 4); // one image
directory.writeUInt8(SIZE, 6);
directory.writeUInt8(SIZE, 7);
directory.writeUInt16LE(1, 10);
directory.writeUInt16LE(32, 12);
directory.writeUInt32LE(image.length, 14);
directory.writeUInt32LE(22, 18);

writeFileSync(new URL("../src/web/public/favicon.ico", import.meta.url), Buffer.concat([directory, image]));

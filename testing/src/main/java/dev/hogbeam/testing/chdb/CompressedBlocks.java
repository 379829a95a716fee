package dev.hogbeam.testing.chdb;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * ClickHouse's compressed-block framing, as used by the HTTP interface for {@code compress=1}
 * responses and {@code decompress=1} request bodies.
 *
 * <p>A block is: a 16-byte checksum (CityHash128 v1.0.2 of everything that follows in the block,
 * low 64 bits first, both halves little endian), a method byte ({@code 0x82} = LZ4), the size of
 * the compressed data plus this 9-byte header (int32 LE), the uncompressed size (int32 LE), then
 * the LZ4 block. Writers here always use LZ4; readers accept LZ4 and refuse anything else by name.
 */
final class CompressedBlocks {
  static final int METHOD_NONE = 0x02;
  static final int METHOD_LZ4 = 0x82;
  static final int METHOD_ZSTD = 0x90;
  static final int HEADER = 9;
  static final int CHECKSUM = 16;

  /** ClickHouse's max_compress_block_size default. */
  static final int BLOCK_SIZE = 1 << 20;

  /** Refuse blocks claiming more than this (ClickHouse itself caps blocks at 1 GiB). */
  static final int MAX_BLOCK = 1 << 30;

  private CompressedBlocks() {}

  /** Thrown for a malformed or corrupted compressed request body; carries ClickHouse's code. */
  static final class CorruptBlockException extends IOException {
    final int code;

    CorruptBlockException(int code, String message) {
      super(message);
      this.code = code;
    }
  }

  /** Frames everything written into LZ4 blocks of at most {@link #BLOCK_SIZE} bytes. */
  static final class Writer extends OutputStream {
    private final OutputStream out;
    private final byte[] buffer;
    private int filled;
    private byte[] compressed = new byte[0];
    private final int[] table = new int[1 << Lz4.HASH_LOG];
    private boolean closed;

    Writer(OutputStream out) {
      this(out, BLOCK_SIZE);
    }

    Writer(OutputStream out, int blockSize) {
      this.out = out;
      this.buffer = new byte[blockSize];
    }

    @Override
    public void write(int b) throws IOException {
      if (filled == buffer.length) {
        flushBlock();
      }
      buffer[filled++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        if (filled == buffer.length) {
          flushBlock();
        }
        int n = Math.min(len, buffer.length - filled);
        System.arraycopy(b, off, buffer, filled, n);
        filled += n;
        off += n;
        len -= n;
      }
    }

    /** Ends the current block (if any bytes are pending) without closing the target. */
    @Override
    public void flush() throws IOException {
      flushBlock();
      out.flush();
    }

    private void flushBlock() throws IOException {
      if (filled == 0) {
        return;
      }
      int bound = Lz4.maxCompressedLength(filled);
      if (compressed.length < CHECKSUM + HEADER + bound) {
        compressed = new byte[CHECKSUM + HEADER + bound];
      }
      int n = Lz4.compress(buffer, 0, filled, compressed, CHECKSUM + HEADER, table);
      compressed[CHECKSUM] = (byte) METHOD_LZ4;
      putIntLE(compressed, CHECKSUM + 1, n + HEADER);
      putIntLE(compressed, CHECKSUM + 5, filled);
      long[] hash = CityHash102.cityHash128(compressed, CHECKSUM, n + HEADER);
      putLongLE(compressed, 0, hash[0]);
      putLongLE(compressed, 8, hash[1]);
      out.write(compressed, 0, CHECKSUM + HEADER + n);
      filled = 0;
    }

    /** Writes the pending block; closes the target stream too. */
    @Override
    public void close() throws IOException {
      if (!closed) {
        closed = true;
        flushBlock();
        out.close();
      }
    }
  }

  /** Reads a stream of compressed blocks, verifying each checksum. */
  static final class Reader extends InputStream {
    private final InputStream in;
    private final byte[] header = new byte[CHECKSUM + HEADER];
    private byte[] block = new byte[0];
    private byte[] data = new byte[0];
    private int position;
    private int limit;

    Reader(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      if (position == limit && !nextBlock()) {
        return -1;
      }
      return data[position++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (position == limit && !nextBlock()) {
        return -1;
      }
      int n = Math.min(len, limit - position);
      System.arraycopy(data, position, b, off, n);
      position += n;
      return n;
    }

    private boolean nextBlock() throws IOException {
      do {
        int got = readFully(in, header, 0, header.length);
        if (got == 0) {
          return false;
        }
        if (got < header.length) {
          throw new CorruptBlockException(
              432, "Cannot read the header of a compressed block: the request body ended early");
        }
        int method = header[CHECKSUM] & 0xff;
        int sizeWithHeader = getIntLE(header, CHECKSUM + 1);
        int size = getIntLE(header, CHECKSUM + 5);
        if (method == METHOD_ZSTD) {
          throw new CorruptBlockException(
              48,
              "decompress=1 request bodies compressed with ZSTD (method byte 0x90) are not supported"
                  + " by the hogbeam local engine front end; configure the client to compress"
                  + " requests with LZ4 (compression.method=LZ4) or send them uncompressed");
        }
        if (method != METHOD_LZ4 && method != METHOD_NONE) {
          throw new CorruptBlockException(
              432, String.format("Unknown compression method byte 0x%02x in request body", method));
        }
        if (sizeWithHeader < HEADER || sizeWithHeader > MAX_BLOCK || size < 0 || size > MAX_BLOCK) {
          throw new CorruptBlockException(
              432,
              "Too large or negative size of a compressed block in the request body: compressed "
                  + sizeWithHeader
                  + ", uncompressed "
                  + size);
        }
        if (block.length < sizeWithHeader) {
          block = new byte[sizeWithHeader];
        }
        System.arraycopy(header, CHECKSUM, block, 0, HEADER);
        if (readFully(in, block, HEADER, sizeWithHeader - HEADER) < sizeWithHeader - HEADER) {
          throw new CorruptBlockException(
              432, "A compressed block of the request body is truncated");
        }
        long[] hash = CityHash102.cityHash128(block, 0, sizeWithHeader);
        if (hash[0] != getLongLE(header, 0) || hash[1] != getLongLE(header, 8)) {
          throw new CorruptBlockException(
              40,
              "Checksum doesn't match: corrupted data in a compressed block of the request body");
        }
        if (data.length < size) {
          data = new byte[size];
        }
        if (method == METHOD_NONE) {
          if (sizeWithHeader - HEADER != size) {
            throw new CorruptBlockException(
                432, "Uncompressed block size does not match its header");
          }
          System.arraycopy(block, HEADER, data, 0, size);
        } else {
          Lz4.decompress(block, HEADER, sizeWithHeader - HEADER, data, size);
        }
        position = 0;
        limit = size;
      } while (limit == 0);
      return true;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /** Reads up to {@code len} bytes, fewer only at the end of the stream. */
  static int readFully(InputStream in, byte[] b, int off, int len) throws IOException {
    int done = 0;
    while (done < len) {
      int n = in.read(b, off + done, len - done);
      if (n < 0) {
        break;
      }
      done += n;
    }
    return done;
  }

  private static final VarHandle INT_LE =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  static int getIntLE(byte[] b, int i) {
    return (int) INT_LE.get(b, i);
  }

  static long getLongLE(byte[] b, int i) {
    return (long) LONG_LE.get(b, i);
  }

  static void putIntLE(byte[] b, int i, int v) {
    INT_LE.set(b, i, v);
  }

  static void putLongLE(byte[] b, int i, long v) {
    LONG_LE.set(b, i, v);
  }

  /** The LZ4 block format: a small greedy compressor and a bounds-checked decompressor. */
  static final class Lz4 {
    static final int HASH_LOG = 14;
    private static final int MIN_MATCH = 4;

    /** The last match must start at least this many bytes before the end of the block. */
    private static final int MF_LIMIT = 12;

    /** The last this many bytes of a block are always literals. */
    private static final int LAST_LITERALS = 5;

    private static final int MAX_OFFSET = 65535;

    private Lz4() {}

    static int maxCompressedLength(int length) {
      return length + length / 255 + 16;
    }

    /**
     * Compresses {@code src[srcOff, srcOff+len)} into {@code dst} at {@code dstOff}; returns the
     * size.
     */
    static int compress(byte[] src, int srcOff, int len, byte[] dst, int dstOff, int[] table) {
      int end = srcOff + len;
      int op = dstOff;
      int anchor = srcOff;
      if (len >= MF_LIMIT + 1) {
        Arrays.fill(table, -1);
        int matchLimit = end - MF_LIMIT;
        int literalLimit = end - LAST_LITERALS;
        int ip = srcOff;
        int misses = 0;
        while (ip < matchLimit) {
          int sequence = getIntLE(src, ip);
          int h = (sequence * -1640531535) >>> (32 - HASH_LOG);
          int ref = table[h];
          table[h] = ip;
          if (ref < 0 || ip - ref > MAX_OFFSET || getIntLE(src, ref) != sequence) {
            ip += 1 + (misses++ >>> 6);
            continue;
          }
          misses = 0;
          while (ip > anchor && ref > srcOff && src[ip - 1] == src[ref - 1]) {
            ip--;
            ref--;
          }
          int matchLength = MIN_MATCH;
          int longest = literalLimit - ip;
          while (matchLength + 8 <= longest) {
            long diff = getLongLE(src, ip + matchLength) ^ getLongLE(src, ref + matchLength);
            if (diff != 0) {
              matchLength += Long.numberOfTrailingZeros(diff) >>> 3;
              longest = matchLength; // found the first differing byte
              break;
            }
            matchLength += 8;
          }
          while (matchLength < longest && src[ip + matchLength] == src[ref + matchLength]) {
            matchLength++;
          }
          op = writeSequence(src, anchor, ip - anchor, dst, op, ip - ref, matchLength);
          ip += matchLength;
          anchor = ip;
        }
      }
      int literals = end - anchor;
      op = writeLength(dst, op, literals, Math.min(literals, 15) << 4);
      System.arraycopy(src, anchor, dst, op, literals);
      return op + literals - dstOff;
    }

    private static int writeSequence(
        byte[] src,
        int literalStart,
        int literals,
        byte[] dst,
        int op,
        int offset,
        int matchLength) {
      int m = matchLength - MIN_MATCH;
      int token = Math.min(literals, 15) << 4 | Math.min(m, 15);
      op = writeLength(dst, op, literals, token);
      System.arraycopy(src, literalStart, dst, op, literals);
      op += literals;
      dst[op++] = (byte) offset;
      dst[op++] = (byte) (offset >>> 8);
      if (m >= 15) {
        op = writeExtension(dst, op, m - 15);
      }
      return op;
    }

    /** Writes the token and, when the literal count needs it, the literal-length extension. */
    private static int writeLength(byte[] dst, int op, int literals, int token) {
      dst[op++] = (byte) token;
      return literals >= 15 ? writeExtension(dst, op, literals - 15) : op;
    }

    private static int writeExtension(byte[] dst, int op, int rest) {
      while (rest >= 255) {
        dst[op++] = (byte) 255;
        rest -= 255;
      }
      dst[op++] = (byte) rest;
      return op;
    }

    /** Decompresses exactly {@code size} bytes into {@code dst[0, size)}, checking every bound. */
    static void decompress(byte[] src, int srcOff, int srcLen, byte[] dst, int size)
        throws CorruptBlockException {
      int ip = srcOff;
      int srcEnd = srcOff + srcLen;
      int op = 0;
      while (true) {
        if (ip >= srcEnd) {
          throw corrupt();
        }
        int token = src[ip++] & 0xff;
        int literals = token >>> 4;
        if (literals == 15) {
          int b;
          do {
            if (ip >= srcEnd) {
              throw corrupt();
            }
            b = src[ip++] & 0xff;
            literals += b;
          } while (b == 255);
        }
        if (literals > srcEnd - ip || literals > size - op) {
          throw corrupt();
        }
        System.arraycopy(src, ip, dst, op, literals);
        ip += literals;
        op += literals;
        if (ip == srcEnd) {
          if (op != size) {
            throw corrupt();
          }
          return;
        }
        if (srcEnd - ip < 2) {
          throw corrupt();
        }
        int offset = (src[ip] & 0xff) | (src[ip + 1] & 0xff) << 8;
        ip += 2;
        if (offset == 0 || offset > op) {
          throw corrupt();
        }
        int matchLength = token & 0x0f;
        if (matchLength == 15) {
          int b;
          do {
            if (ip >= srcEnd) {
              throw corrupt();
            }
            b = src[ip++] & 0xff;
            matchLength += b;
          } while (b == 255);
        }
        matchLength += MIN_MATCH;
        if (matchLength > size - op) {
          throw corrupt();
        }
        int from = op - offset;
        for (int i = 0; i < matchLength; i++) {
          dst[op + i] = dst[from + i];
        }
        op += matchLength;
      }
    }

    private static CorruptBlockException corrupt() {
      return new CorruptBlockException(
          271, "Cannot decompress an LZ4 block of the request body: corrupt data");
    }
  }

  /**
   * CityHash128 as published in CityHash v1.0.2, the version ClickHouse froze for its block
   * checksums (later CityHash releases changed the function). Returns {low64, high64}.
   */
  static final class CityHash102 {
    private static final long K0 = 0xc3a5c85c97cb3127L;
    private static final long K1 = 0xb492b66fbe98f273L;
    private static final long K2 = 0x9ae16a3b2f90404fL;
    private static final long K3 = 0xc949d7c7509e6557L;
    private static final long K_MUL = 0x9ddfea08eb382d69L;

    private CityHash102() {}

    static long[] cityHash128(byte[] s, int pos, int len) {
      if (len >= 16) {
        return cityHash128WithSeed(
            s, pos + 16, len - 16, fetch64(s, pos) ^ K3, fetch64(s, pos + 8));
      } else if (len >= 8) {
        return cityHash128WithSeed(
            s, pos, 0, fetch64(s, pos) ^ (len * K0), fetch64(s, pos + len - 8) ^ K1);
      } else {
        return cityHash128WithSeed(s, pos, len, K0, K1);
      }
    }

    private static long fetch64(byte[] s, int i) {
      return getLongLE(s, i);
    }

    private static long fetch32(byte[] s, int i) {
      return getIntLE(s, i) & 0xffffffffL;
    }

    private static long rotate(long v, int shift) {
      return shift == 0 ? v : Long.rotateRight(v, shift);
    }

    private static long shiftMix(long v) {
      return v ^ (v >>> 47);
    }

    private static long hashLen16(long u, long v) {
      long a = (u ^ v) * K_MUL;
      a ^= a >>> 47;
      long b = (v ^ a) * K_MUL;
      b ^= b >>> 47;
      return b * K_MUL;
    }

    private static long hashLen0to16(byte[] s, int pos, int len) {
      if (len > 8) {
        long a = fetch64(s, pos);
        long b = fetch64(s, pos + len - 8);
        return hashLen16(a, Long.rotateRight(b + len, len)) ^ b;
      }
      if (len >= 4) {
        long a = fetch32(s, pos);
        return hashLen16(len + (a << 3), fetch32(s, pos + len - 4));
      }
      if (len > 0) {
        int a = s[pos] & 0xff;
        int b = s[pos + (len >>> 1)] & 0xff;
        int c = s[pos + len - 1] & 0xff;
        long y = (a + (b << 8)) & 0xffffffffL;
        long z = (len + (c << 2)) & 0xffffffffL;
        return shiftMix(y * K2 ^ z * K3) * K2;
      }
      return K2;
    }

    private static long[] cityMurmur(byte[] s, int pos, int len, long seedLow, long seedHigh) {
      long a = seedLow;
      long b = seedHigh;
      long c;
      long d;
      long l = len - 16;
      if (l <= 0) {
        a = shiftMix(a * K1) * K1;
        c = b * K1 + hashLen0to16(s, pos, len);
        d = shiftMix(a + (len >= 8 ? fetch64(s, pos) : c));
      } else {
        c = hashLen16(fetch64(s, pos + len - 8) + K1, a);
        d = hashLen16(b + len, c + fetch64(s, pos + len - 16));
        a += d;
        do {
          a ^= shiftMix(fetch64(s, pos) * K1) * K1;
          a *= K1;
          b ^= a;
          c ^= shiftMix(fetch64(s, pos + 8) * K1) * K1;
          c *= K1;
          d ^= c;
          pos += 16;
          l -= 16;
        } while (l > 0);
      }
      a = hashLen16(a, c);
      b = hashLen16(d, b);
      return new long[] {a ^ b, hashLen16(b, a)};
    }

    private static long[] cityHash128WithSeed(
        byte[] s, int pos, int len, long seedLow, long seedHigh) {
      if (len < 128) {
        return cityMurmur(s, pos, len, seedLow, seedHigh);
      }
      long x = seedLow;
      long y = seedHigh;
      long z = len * K1;
      long v0 = rotate(y ^ K1, 49) * K1 + fetch64(s, pos);
      long v1 = rotate(v0, 42) * K1 + fetch64(s, pos + 8);
      long w0 = rotate(y + z, 35) * K1 + x;
      long w1 = rotate(x + fetch64(s, pos + 88), 53) * K1;
      long[] pair = new long[2];
      do {
        for (int half = 0; half < 2; half++) {
          x = rotate(x + y + v0 + fetch64(s, pos + 16), 37) * K1;
          y = rotate(y + v1 + fetch64(s, pos + 48), 42) * K1;
          x ^= w1;
          y ^= v0;
          z = rotate(z ^ w0, 33);
          weakHashLen32WithSeeds(s, pos, v1 * K1, x + w0, pair);
          v0 = pair[0];
          v1 = pair[1];
          weakHashLen32WithSeeds(s, pos + 32, z + w1, y, pair);
          w0 = pair[0];
          w1 = pair[1];
          long t = z;
          z = x;
          x = t;
          pos += 64;
        }
        len -= 128;
      } while (len >= 128);
      y += rotate(w0, 37) * K0 + z;
      x += rotate(v0 + z, 49) * K0;
      for (int tailDone = 0; tailDone < len; ) {
        tailDone += 32;
        y = rotate(y - x, 42) * K0 + v1;
        w0 += fetch64(s, pos + len - tailDone + 16);
        x = rotate(x, 49) * K0 + w0;
        w0 += v0;
        weakHashLen32WithSeeds(s, pos + len - tailDone, v0, v1, pair);
        v0 = pair[0];
        v1 = pair[1];
      }
      x = hashLen16(x, v0);
      y = hashLen16(y, w0);
      return new long[] {hashLen16(x + v1, w1) + y, hashLen16(x + w1, y + v1)};
    }

    private static void weakHashLen32WithSeeds(byte[] s, int pos, long a, long b, long[] out) {
      long w = fetch64(s, pos);
      long x = fetch64(s, pos + 8);
      long y = fetch64(s, pos + 16);
      long z = fetch64(s, pos + 24);
      a += w;
      b = rotate(b + a + z, 21);
      long c = a;
      a += x;
      a += y;
      b += rotate(a, 44);
      out[0] = a + z;
      out[1] = b + c;
    }
  }
}

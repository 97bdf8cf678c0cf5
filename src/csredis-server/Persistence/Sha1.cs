// SHA-1 (FIPS 180-4) computed in managed code for the short inputs DEBUG DIGEST hashes by the
// million (keys, elements, 20-byte digests): going through the platform crypto library costs far
// more per call than the compression itself for inputs this small.
using System.Buffers.Binary;
using System.Numerics;

namespace Csredis.Server.Persistence;

public static class Sha1
{
    public static void Hash(ReadOnlySpan<byte> data, Span<byte> output)
    {
        uint h0 = 0x67452301, h1 = 0xEFCDAB89, h2 = 0x98BADCFE, h3 = 0x10325476, h4 = 0xC3D2E1F0;
        Span<uint> w = stackalloc uint[80];
        int full = data.Length / 64;
        for (int b = 0; b < full; b++) Compress(data.Slice(b * 64, 64), w, ref h0, ref h1, ref h2, ref h3, ref h4);
        // Padding: 0x80, zeros, then the length in bits (big-endian) in the last 8 bytes of a block.
        Span<byte> tail = stackalloc byte[128];
        tail.Clear();
        var rest = data[(full * 64)..];
        rest.CopyTo(tail);
        tail[rest.Length] = 0x80;
        int tailBlocks = rest.Length + 9 > 64 ? 2 : 1;
        BinaryPrimitives.WriteUInt64BigEndian(tail.Slice(tailBlocks * 64 - 8), (ulong)data.Length * 8);
        for (int b = 0; b < tailBlocks; b++) Compress(tail.Slice(b * 64, 64), w, ref h0, ref h1, ref h2, ref h3, ref h4);
        BinaryPrimitives.WriteUInt32BigEndian(output, h0);
        BinaryPrimitives.WriteUInt32BigEndian(output[4..], h1);
        BinaryPrimitives.WriteUInt32BigEndian(output[8..], h2);
        BinaryPrimitives.WriteUInt32BigEndian(output[12..], h3);
        BinaryPrimitives.WriteUInt32BigEndian(output[16..], h4);
    }

    static void Compress(ReadOnlySpan<byte> block, Span<uint> w, ref uint h0, ref uint h1, ref uint h2, ref uint h3, ref uint h4)
    {
        for (int i = 0; i < 16; i++) w[i] = BinaryPrimitives.ReadUInt32BigEndian(block[(i * 4)..]);
        for (int i = 16; i < 80; i++) w[i] = BitOperations.RotateLeft(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        uint a = h0, b = h1, c = h2, d = h3, e = h4;
        for (int i = 0; i < 80; i++)
        {
            uint f, k;
            if (i < 20) { f = (b & c) | (~b & d); k = 0x5A827999; }
            else if (i < 40) { f = b ^ c ^ d; k = 0x6ED9EBA1; }
            else if (i < 60) { f = (b & c) | (b & d) | (c & d); k = 0x8F1BBCDC; }
            else { f = b ^ c ^ d; k = 0xCA62C1D6; }
            uint temp = BitOperations.RotateLeft(a, 5) + f + e + k + w[i];
            e = d;
            d = c;
            c = BitOperations.RotateLeft(b, 30);
            b = a;
            a = temp;
        }
        h0 += a; h1 += b; h2 += c; h3 += d; h4 += e;
    }
}

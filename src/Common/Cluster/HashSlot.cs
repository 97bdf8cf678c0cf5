// Redis Cluster key hashing: a key belongs to slot CRC16(key) mod 16384, where CRC16 is the XMODEM
// variant (polynomial 0x1021, initial value 0). When the key holds a non-empty {tag}, only the tag is
// hashed, so keys sharing a tag share a slot. The table is computed once from the polynomial.
namespace Csredis.Common.Cluster;

public static class HashSlot
{
    public const int SlotCount = 16384;

    private static readonly ushort[] Table = BuildTable();

    private static ushort[] BuildTable()
    {
        var table = new ushort[256];
        for (int i = 0; i < 256; i++)
        {
            int crc = i << 8;
            for (int bit = 0; bit < 8; bit++) crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            table[i] = (ushort)crc;
        }
        return table;
    }

    public static ushort Crc16(ReadOnlySpan<byte> data)
    {
        ushort crc = 0;
        foreach (byte b in data) crc = (ushort)((crc << 8) ^ Table[((crc >> 8) ^ b) & 0xff]);
        return crc;
    }

    public static int ForKey(ReadOnlySpan<byte> key)
    {
        int open = key.IndexOf((byte)'{');
        if (open >= 0)
        {
            int close = key[(open + 1)..].IndexOf((byte)'}');
            if (close > 0) key = key.Slice(open + 1, close);
        }
        return Crc16(key) & (SlotCount - 1);
    }
}

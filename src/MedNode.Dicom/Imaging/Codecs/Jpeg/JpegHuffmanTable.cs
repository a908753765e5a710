namespace MedNode.Dicom.Imaging.Codecs.Jpeg;

/// <summary>
/// A Huffman table as defined by a DHT segment: BITS (codes per length 1–16) and HUFFVAL (ITU-T T.81 B.2.4.2), with the
/// decoding tables MAXCODE/VALPTR/MINCODE of T.81 F.2.2.3 and the encoding tables EHUFCO/EHUFSI of C.2.
/// </summary>
internal sealed class JpegHuffmanTable
{
    private readonly int[] _maxCode = new int[18];
    private readonly int[] _valPtr = new int[17];
    private readonly int[] _minCode = new int[17];
    private readonly byte[] _values;
    private readonly int[] _codeOf = new int[256];
    private readonly int[] _sizeOf = new int[256];

    public JpegHuffmanTable(ReadOnlySpan<byte> bits, ReadOnlySpan<byte> values)
    {
        Bits = bits.ToArray();
        _values = values.ToArray();
        // Generate_size_table and Generate_code_table (T.81 C.2, Figures C.1 and C.2).
        var sizes = new List<int>();
        for (var l = 1; l <= 16; l++)
            for (var i = 0; i < Bits[l - 1]; i++) sizes.Add(l);
        var codes = new int[sizes.Count];
        int code = 0, k = 0, si = sizes.Count > 0 ? sizes[0] : 0;
        while (k < sizes.Count)
        {
            while (k < sizes.Count && sizes[k] == si) { codes[k++] = code++; }
            if (code > (1 << si)) throw new DicomCodecException("invalid Huffman table: codes overflow their length (T.81 C.2)");
            code <<= 1;
            si++;
        }
        for (var i = 0; i < sizes.Count; i++)
        {
            _codeOf[_values[i]] = codes[i];
            _sizeOf[_values[i]] = sizes[i];
        }
        // Decoder tables (T.81 F.2.2.3, Figure F.15).
        var j = 0;
        for (var l = 1; l <= 16; l++)
        {
            if (Bits[l - 1] == 0) { _maxCode[l] = -1; continue; }
            _valPtr[l] = j;
            _minCode[l] = codes[j];
            j += Bits[l - 1];
            _maxCode[l] = codes[j - 1];
        }
        _maxCode[17] = int.MaxValue;
    }

    public byte[] Bits { get; }
    public ReadOnlySpan<byte> Values => _values;

    /// <summary>Decodes one value (T.81 F.2.2.3, DECODE).</summary>
    public int Decode(ref JpegBitReader reader)
    {
        var code = reader.ReadBit();
        for (var l = 1; l <= 16; l++)
        {
            if (code <= _maxCode[l] && _maxCode[l] >= 0) return _values[_valPtr[l] + code - _minCode[l]];
            code = (code << 1) | reader.ReadBit();
        }
        throw new DicomCodecException("invalid Huffman code in JPEG entropy-coded data");
    }

    public void Encode(ref JpegBitWriter writer, int value)
    {
        if (_sizeOf[value] == 0) throw new InvalidOperationException($"Huffman table has no code for {value}");
        writer.Write(_codeOf[value], _sizeOf[value]);
    }

    /// <summary>
    /// Builds an optimal table from symbol frequencies with code lengths limited to 16 (T.81 K.2, Figures K.1–K.4), reserving
    /// the all-ones code point.
    /// </summary>
    public static JpegHuffmanTable FromFrequencies(ReadOnlySpan<long> frequencies)
    {
        const int Reserved = 256;
        var freq = new long[257];
        for (var i = 0; i < frequencies.Length; i++) freq[i] = frequencies[i];
        freq[Reserved] = 1;
        var codeSize = new int[257];
        var others = new int[257];
        Array.Fill(others, -1);
        while (true)
        {
            // V1: least frequency (ties: larger index), V2: next least.
            int v1 = -1, v2 = -1;
            for (var i = 0; i < 257; i++)
            {
                if (freq[i] == 0) continue;
                if (v1 < 0 || freq[i] <= freq[v1]) v1 = i;
            }
            for (var i = 0; i < 257; i++)
            {
                if (freq[i] == 0 || i == v1) continue;
                if (v2 < 0 || freq[i] <= freq[v2]) v2 = i;
            }
            if (v2 < 0) break;
            freq[v1] += freq[v2];
            freq[v2] = 0;
            codeSize[v1]++;
            while (others[v1] >= 0) { v1 = others[v1]; codeSize[v1]++; }
            others[v1] = v2;
            codeSize[v2]++;
            while (others[v2] >= 0) { v2 = others[v2]; codeSize[v2]++; }
        }
        var bits = new int[33];
        for (var i = 0; i < 257; i++)
            if (codeSize[i] > 0)
            {
                if (codeSize[i] > 32) throw new InvalidOperationException("Huffman code size overflow");
                bits[codeSize[i]]++;
            }
        // Adjust_BITS (Figure K.3).
        for (var i = 32; i > 16; i--)
        {
            while (bits[i] > 0)
            {
                var j = i - 2;
                while (bits[j] == 0) j--;
                bits[i] -= 2;
                bits[i - 1]++;
                bits[j + 1] += 2;
                bits[j]--;
            }
        }
        var last = 16;
        while (bits[last] == 0) last--;
        bits[last]--; // remove the reserved code point
        // Sort_input (Figure K.4): values by increasing code size.
        var values = new List<byte>();
        for (var size = 1; size <= 32; size++)
            for (var i = 0; i < 256; i++)
                if (codeSize[i] == size) values.Add((byte)i);
        var bitsBytes = new byte[16];
        for (var l = 1; l <= 16; l++) bitsBytes[l - 1] = (byte)bits[l];
        return new JpegHuffmanTable(bitsBytes, values.ToArray());
    }
}

/// <summary>Reads entropy-coded bits, removing stuffed zero bytes (T.81 F.1.2.3) and stopping at a marker (then yielding zeros).</summary>
internal ref struct JpegBitReader
{
    private readonly ReadOnlySpan<byte> _data;
    private int _bitBuffer;
    private int _bitCount;

    public JpegBitReader(ReadOnlySpan<byte> data, int position)
    {
        _data = data;
        Position = position;
    }

    /// <summary>Position of the next unread byte.</summary>
    public int Position { get; private set; }

    /// <summary>True when a marker (other than a stuffed FF00) stopped the reader.</summary>
    public bool AtMarker { get; private set; }

    public int ReadBit()
    {
        if (_bitCount == 0) Fill();
        _bitCount--;
        return (_bitBuffer >> _bitCount) & 1;
    }

    public int ReadBits(int count)
    {
        var value = 0;
        for (var i = 0; i < count; i++) value = (value << 1) | ReadBit();
        return value;
    }

    private void Fill()
    {
        _bitCount = 8;
        if (AtMarker || Position >= _data.Length) { _bitBuffer = 0; return; }
        var b = _data[Position];
        if (b == 0xFF)
        {
            var next = Position + 1 < _data.Length ? _data[Position + 1] : 0xD9;
            if (next == 0x00) { Position += 2; _bitBuffer = 0xFF; return; }
            if (next == 0xFF) { Position++; Fill(); return; } // fill bytes before a marker (B.1.1.2)
            AtMarker = true;
            _bitBuffer = 0;
            return;
        }
        Position++;
        _bitBuffer = b;
    }

    /// <summary>Discards the remaining bits of the current byte and expects the marker RSTm (T.81 F.1.2.3 / H.1.2.1).</summary>
    public void Restart()
    {
        _bitCount = 0;
        AtMarker = false;
        while (Position + 1 < _data.Length && !(_data[Position] == 0xFF && _data[Position + 1] is >= 0xD0 and <= 0xD7)) Position++;
        if (Position + 1 >= _data.Length) throw new DicomCodecException("expected RST marker not found in JPEG data");
        Position += 2;
    }
}

/// <summary>Writes entropy-coded bits with 0xFF byte stuffing (T.81 F.1.2.3).</summary>
internal ref struct JpegBitWriter
{
    private readonly MemoryStream _output;
    private long _buffer;
    private int _count;

    public JpegBitWriter(MemoryStream output) => _output = output;

    public void Write(int value, int bits)
    {
        if (bits == 0) return;
        _buffer = (_buffer << bits) | (uint)(value & ((1 << bits) - 1));
        _count += bits;
        while (_count >= 8)
        {
            var b = (byte)(_buffer >> (_count - 8));
            _output.WriteByte(b);
            if (b == 0xFF) _output.WriteByte(0);
            _count -= 8;
        }
        _buffer &= (1L << _count) - 1;
    }

    /// <summary>Pads the last byte with 1-bits (T.81 F.1.2.3).</summary>
    public void Flush()
    {
        if (_count > 0) Write((1 << (8 - _count)) - 1, 8 - _count);
    }
}

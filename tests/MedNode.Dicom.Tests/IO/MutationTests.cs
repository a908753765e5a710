using System.Diagnostics;
using MedNode.Dicom.IO;
using MedNode.TestSupport;

namespace MedNode.Dicom.Tests.IO;

/// <summary>
/// Seeded mutation test: at least 20,000 mutated corpus files (bit flips, truncations, huge length fields, deep nesting).
/// Each one parses or ends in <see cref="DicomParseException"/>; nothing else escapes, nothing hangs, and allocation stays
/// bounded by what the bytes justify.
/// </summary>
public class MutationTests
{
    private const int Seed = 20261125;
    private const int Mutants = 20_000;

    [RequiresFact("corpus")]
    public void Parse_20000Mutants_OnlyParseExceptionNoHangBoundedMemory()
    {
        var sources = Corpus.Entries
            .Where(e => e.Str("category") != "json" && e.GetProperty("size").GetInt64() < 256 * 1024)
            .Select(e => File.ReadAllBytes(Corpus.FullPath(e.Str("path")!)))
            .ToList();
        sources.Should().HaveCountGreaterThan(100);
        // Warm up: the dictionary and code pages are built once, on first use, and are not the parser's allocation.
        foreach (var s in sources.Take(50)) { try { DicomFile.Parse(s); } catch (DicomParseException) { } }
        _ = DicomDictionary.Find("PatientName");
        var rng = new Random(Seed);
        var options = new DicomReadOptions { MaxInflatedLength = 64L << 20 };
        int parsed = 0, rejected = 0;
        long worstTicks = 0, worstAllocation = 0;
        string worst = "";
        byte[] worstBytes = [];
        for (int i = 0; i < Mutants; i++)
        {
            var src = sources[rng.Next(sources.Count)];
            var (bytes, kind) = Mutate(src, rng);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var sw = Stopwatch.StartNew();
            try
            {
                ParseAndTouch(bytes, options);
                parsed++;
            }
            catch (DicomParseException)
            {
                rejected++;
            }
            catch (Exception ex)
            {
                throw new Xunit.Sdk.XunitException($"mutant {i} ({kind}) threw {ex.GetType().Name}: {ex.Message}");
            }
            sw.Stop();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            // Bounded memory: never more than a small multiple of the input (deflate may inflate: capped by the option).
            long bound = 16L * bytes.Length + (4 << 20) + (f_isDeflate(bytes) ? options.MaxInflatedLength * 3 : 0);
            allocated.Should().BeLessThan(bound, $"mutant {i} ({kind}) of {bytes.Length} bytes allocated {allocated}");
            if (sw.ElapsedTicks > worstTicks) { worstTicks = sw.ElapsedTicks; worst = kind; worstBytes = bytes; }
            worstAllocation = Math.Max(worstAllocation, allocated);
        }
        // No hang: the issue sets 1 s per file as the limit. The slowest mutant is parsed three more times and the fastest of
        // the four counts, so that a thread the scheduler left waiting (CI runs the test assemblies side by side on two
        // cores) does not read as a slow parse, while a parse that is slow by itself stays slow.
        for (int again = 0; again < 3; again++)
        {
            var sw = Stopwatch.StartNew();
            try
            {
                ParseAndTouch(worstBytes, options);
            }
            catch (DicomParseException)
            {
                // Rejected as before.
            }
            worstTicks = Math.Min(worstTicks, sw.ElapsedTicks);
        }
        TimeSpan.FromTicks(worstTicks * TimeSpan.TicksPerSecond / Stopwatch.Frequency).Should().BeLessThan(TimeSpan.FromSeconds(1), $"slowest mutant kind: {worst}");
        (parsed + rejected).Should().Be(Mutants);
        rejected.Should().BeGreaterThan(0, "some mutants must be rejected, or the mutations are not biting");
    }

    /// <summary>Parses, then reads every string value, as a consumer would.</summary>
    private static void ParseAndTouch(byte[] bytes, DicomReadOptions options)
    {
        var f = DicomFile.Parse(bytes, options);
        foreach (var item in f.Dataset) if (item is DicomElement e && e.VR.IsString()) _ = f.Dataset.GetStrings(e.Tag);
    }

    private static bool f_isDeflate(byte[] b) => b.AsSpan().IndexOf("1.2.840.10008.1.2.1.99"u8) >= 0 || b.AsSpan().IndexOf("1.2.840.10008.1.2.8.1"u8) >= 0;

    private static (byte[] Bytes, string Kind) Mutate(byte[] src, Random rng)
    {
        var b = (byte[])src.Clone();
        switch (rng.Next(5))
        {
            case 0:
                {
                    int flips = 1 + rng.Next(8);
                    for (int i = 0; i < flips; i++) b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                    return (b, "bit flips");
                }
            case 1:
                return (b[..rng.Next(b.Length)], "truncation");
            case 2:
                {
                    // Huge length: overwrite 4 bytes at an aligned position past the preamble with a large value.
                    int at = Math.Min(b.Length - 4, 132 + rng.Next(Math.Max(1, b.Length - 136)));
                    uint huge = rng.Next(3) switch { 0 => 0xFFFFFFF0u, 1 => 0x7FFFFFFFu, _ => (uint)rng.Next(1 << 20, int.MaxValue) };
                    BitConverter.TryWriteBytes(b.AsSpan(at), huge);
                    return (b, "huge length");
                }
            case 3:
                return (DeepNesting(rng.Next(100, 5000)), "deep nesting");
            default:
                {
                    // Splice: repeat a random slice (duplicated elements and items).
                    int from = rng.Next(b.Length), len = rng.Next(Math.Min(512, b.Length - from) + 1);
                    int to = rng.Next(b.Length);
                    var r = new byte[b.Length + len];
                    b.AsSpan(0, to).CopyTo(r);
                    b.AsSpan(from, len).CopyTo(r.AsSpan(to));
                    b.AsSpan(to).CopyTo(r.AsSpan(to + len));
                    return (r, "splice");
                }
        }
    }

    /// <summary>An explicit VR LE data set with sequences nested <paramref name="depth"/> deep (undefined lengths).</summary>
    private static byte[] DeepNesting(int depth)
    {
        using var ms = new MemoryStream();
        ms.Write(new byte[128]);
        ms.Write("DICM"u8);
        byte[] ts = "1.2.840.10008.1.2.1\0"u8.ToArray();
        ms.Write([0x02, 0x00, 0x10, 0x00, (byte)'U', (byte)'I', (byte)ts.Length, 0]);
        ms.Write(ts);
        for (int i = 0; i < depth; i++)
        {
            ms.Write([0x08, 0x00, 0x15, 0x11, (byte)'S', (byte)'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]); // (0008,1115) SQ u/l
            ms.Write([0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF]); // item u/l
        }
        return ms.ToArray();
    }
}

using System.Text;

namespace MedNode.Dicom.Tests.CharacterSets;

/// <summary>
/// Unit tests of <see cref="DicomCharacterSet"/>. Expected bytes are analytic: the code tables of ISO 8859,
/// TIS 620, JIS X 0201/0208/0212, KS X 1001, GB 2312/GBK/GB18030 (each cross-checked with glibc iconv) and the
/// worked examples of PS3.5 Annexes H and I.
/// </summary>
[Trait("Conformance", "PS3.5 6.1")]
public class DicomCharacterSetTests
{
    private const byte Esc = 0x1B;

    private static DicomCharacterSet Set(params string[] terms) => DicomCharacterSet.FromTerms(terms);

    private static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    [Theory]
    [InlineData("ISO_IR 100", "é", "E9")]
    [InlineData("ISO_IR 101", "Ł", "A3")]
    [InlineData("ISO_IR 109", "Ħ", "A1")]
    [InlineData("ISO_IR 110", "ĸ", "A2")]
    [InlineData("ISO_IR 144", "Л", "BB")]
    [InlineData("ISO_IR 127", "ق", "E2")]
    [InlineData("ISO_IR 126", "Δ", "C4")]
    [InlineData("ISO_IR 138", "ש", "F9")]
    [InlineData("ISO_IR 148", "ğ", "F0")]
    [InlineData("ISO_IR 203", "€", "A4")]
    [InlineData("ISO_IR 166", "ก", "A1")]
    [InlineData("ISO_IR 13", "ｱ", "B1")]
    [InlineData("ISO_IR 192", "王", "E78E8B")]
    [InlineData("GB18030", "😀", "9439FC36")]
    [InlineData("GBK", "王", "CDF5")]
    public void Encode_SingleCharacter_GivesCodeOfTheStandardTable(string term, string text, string hex)
    {
        var set = Set(term);
        set.IsFullySupported.Should().BeTrue();
        set.Encode("A" + text, DicomVR.LO).Should().Equal(Bytes("41" + hex));
        set.Decode(Bytes("41" + hex), DicomVR.LO).Should().Be("A" + text);
    }

    [Theory]
    [InlineData("ISO 2022 IR 100", "Jérôme")]
    [InlineData("ISO 2022 IR 101", "Łódź")]
    [InlineData("ISO 2022 IR 109", "Ħaġar")]
    [InlineData("ISO 2022 IR 110", "Ķēniņš")]
    [InlineData("ISO 2022 IR 144", "Люкceмбypг")]
    [InlineData("ISO 2022 IR 127", "قباني")]
    [InlineData("ISO 2022 IR 126", "Διονυσιος")]
    [InlineData("ISO 2022 IR 138", "שרון")]
    [InlineData("ISO 2022 IR 148", "Çağrı")]
    [InlineData("ISO 2022 IR 203", "Œuvre €")]
    [InlineData("ISO 2022 IR 166", "สมชาย")]
    [InlineData("ISO 2022 IR 13", "ﾔﾏﾀﾞ")]
    [InlineData("ISO_IR 192", "Wang^XiaoDong=王^小東=")]
    [InlineData("GB18030", "Wang^XiaoDong=王^小东=")]
    [InlineData("GBK", "王^小东")]
    public void EncodeDecode_TextOfTheRepertoire_RoundTrips(string term, string text)
    {
        var set = Set(term);
        byte[] bytes = set.Encode(text, DicomVR.PN);
        bytes.Should().NotContain(Esc, "value 1 is active from the start, so no escape sequence is needed");
        set.Decode(bytes, DicomVR.PN).Should().Be(text);
    }

    [Theory]
    [InlineData("ISO 2022 IR 87", "山田^太郎")]
    [InlineData("ISO 2022 IR 159", "丂")]
    [InlineData("ISO 2022 IR 149", "홍^길동")]
    [InlineData("ISO 2022 IR 58", "王^小东")]
    public void EncodeDecode_CodeExtension_RoundTripsWithEscapes(string extension, string text)
    {
        var set = Set("", extension);
        set.UsesCodeExtensions.Should().BeTrue();
        byte[] bytes = set.Encode(text, DicomVR.PN);
        bytes.Should().Contain(Esc);
        set.Decode(bytes, DicomVR.PN).Should().Be(text);
    }

    [Fact]
    [Trait("Conformance", "PS3.5 H.3.1")]
    public void Encode_JapaneseNameWithJisX0208_GivesBytesOfPs35AnnexH()
    {
        // PS3.5 H.3.1: "Yamada^Tarou=ESC$B;3ED ESC(B^ESC$BB@O: ESC(B=ESC$B$d$^$@ ESC(B^ESC$B$?$m$& ESC(B".
        byte[] expected = Encoding.ASCII.GetBytes("Yamada^Tarou=\u001b$B;3ED\u001b(B^\u001b$BB@O:\u001b(B=\u001b$B$d$^$@\u001b(B^\u001b$B$?$m$&\u001b(B");
        var set = Set("", "ISO 2022 IR 87");
        set.Encode("Yamada^Tarou=山田^太郎=やまだ^たろう", DicomVR.PN).Should().Equal(expected);
        set.Decode(expected, DicomVR.PN).Should().Be("Yamada^Tarou=山田^太郎=やまだ^たろう");
    }

    [Fact]
    [Trait("Conformance", "PS3.5 H.3.2")]
    public void Encode_JapaneseNameWithKatakanaAndJisX0208_GivesBytesOfPs35AnnexH()
    {
        // PS3.5 H.3.2: half-width katakana in G1 without escape; JIS X 0208 after ESC $ B; back to ISO-IR 14 with ESC ( J.
        byte[] expected = Bytes("D4CFC0DE 5E C0DBB3 3D 1B2442 3B334544 1B284A 5E 1B2442 42404F3A 1B284A 3D 1B2442 2464245E2440 1B284A 5E 1B2442 243F246D2426 1B284A");
        var set = Set("ISO 2022 IR 13", "ISO 2022 IR 87");
        set.Encode("ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう", DicomVR.PN).Should().Equal(expected);
        set.Decode(expected, DicomVR.PN).Should().Be("ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう");
    }

    [Fact]
    [Trait("Conformance", "PS3.5 I.2")]
    public void Encode_KoreanNameWithKsX1001_GivesBytesOfPs35AnnexI()
    {
        // PS3.5 I.2: "Hong^Gildong=ESC$)C 373 363^ESC$)C 321 316 324 327=ESC$)C 310 253^ESC$)C 261 346 265 277" (octal).
        byte[] expected = Bytes("486F6E675E47696C646F6E67 3D 1B242943 FBF3 5E 1B242943 D1CED4D7 3D 1B242943 C8AB 5E 1B242943 B1E6B5BF");
        var set = Set("", "ISO 2022 IR 149");
        set.Encode("Hong^Gildong=洪^吉洞=홍^길동", DicomVR.PN).Should().Equal(expected);
        set.Decode(expected, DicomVR.PN).Should().Be("Hong^Gildong=洪^吉洞=홍^길동");
    }

    [Theory]
    [InlineData(DicomVR.PN, (byte)'^')]
    [InlineData(DicomVR.PN, (byte)'=')]
    [InlineData(DicomVR.PN, (byte)'\\')]
    [InlineData(DicomVR.LO, (byte)'\\')]
    [InlineData(DicomVR.LT, (byte)'\r')]
    [InlineData(DicomVR.LT, (byte)'\n')]
    [InlineData(DicomVR.LT, (byte)'\f')]
    [InlineData(DicomVR.ST, (byte)'\t')]
    public void Decode_Iso2022AfterDelimiter_ReactivatesValue1Set(DicomVR vr, byte delimiter)
    {
        // Value 1 puts ISO-IR 100 in G1; ESC - F designates ISO-IR 126 (Greek). C4 is Ä in 8859-1, Δ in 8859-7.
        var set = Set("ISO 2022 IR 100", "ISO 2022 IR 126");
        byte[] bytes = [Esc, 0x2D, 0x46, 0xC4, delimiter, 0xC4];
        set.Decode(bytes, vr).Should().Be($"Δ{(char)delimiter}Ä");
    }

    [Theory]
    [InlineData(DicomVR.LT, '\\')]
    [InlineData(DicomVR.LO, '^')]
    [InlineData(DicomVR.LO, '=')]
    public void Decode_Iso2022AfterCharacterThatIsNoDelimiterOfTheVR_KeepsDesignatedSet(DicomVR vr, char character)
    {
        var set = Set("ISO 2022 IR 100", "ISO 2022 IR 126");
        byte[] bytes = [Esc, 0x2D, 0x46, 0xC4, (byte)character, 0xC4];
        set.Decode(bytes, vr).Should().Be($"Δ{character}Δ");
    }

    [Fact]
    public void Encode_Iso2022BeforeDelimiterAndAtEnd_ReturnsToValue1Set()
    {
        var set = Set("ISO 2022 IR 100", "ISO 2022 IR 126");
        set.Encode("Δ^Ä", DicomVR.PN).Should().Equal(Bytes("1B2D46 C4 1B2D41 5E C4"));
        set.Encode("ÄΔ", DicomVR.PN).Should().Equal(Bytes("C4 1B2D46 C4 1B2D41"));
        set.Encode("Δ\r\nΔ", DicomVR.LT).Should().Equal(Bytes("1B2D46 C4 1B2D41 0D 0A 1B2D46 C4 1B2D41"));
    }

    [Fact]
    public void DecodeValues_JisX0208CharacterWithTrailByte5C_IsOneValue()
    {
        // JIS X 0208 0x305C is 移 (EUC-JP B0 DC); its second byte is 05/12, the value delimiter.
        var set = Set("", "ISO 2022 IR 87");
        byte[] bytes = [Esc, 0x24, 0x42, 0x30, 0x5C, Esc, 0x28, 0x42, 0x5C, 0x41];
        set.DecodeValues(bytes, DicomVR.LO).Should().Equal("移", "A");
        set.Encode("移\\A", DicomVR.LO).Should().Equal(bytes);
    }

    [Theory]
    [InlineData("GBK")]
    [InlineData("GB18030")]
    public void DecodeValues_GbkCharacterWithTrailByte5C_SplitsOnlyAtRealDelimiters(string term)
    {
        // 乗 (U+4E57) is 81 5C in GBK and GB18030: its trail byte is 05/12.
        var set = Set(term);
        byte[] bytes = Bytes("815C 5C 815C 5C 41");
        set.DecodeValues(bytes, DicomVR.LO).Should().Equal("乗", "乗", "A");
        set.Encode("乗\\乗\\A", DicomVR.LO).Should().Equal(bytes);
    }

    [Fact]
    public void DecodeValues_SingleValuedText_KeepsBackslash()
    {
        Set("ISO_IR 100").DecodeValues("a\\b"u8, DicomVR.LT).Should().Equal("a\\b");
        Set("ISO_IR 100").DecodeValues("a\\b"u8, DicomVR.LO).Should().Equal("a", "b");
    }

    [Fact]
    public void FromTerms_UnknownTerm_FallsBackToDefaultRepertoireAndReportsIt()
    {
        var set = Set("ISO_IR 999");
        set.IsFullySupported.Should().BeFalse();
        set.UnsupportedTerms.Should().Equal("ISO_IR 999");
        set.Decode(Bytes("4275635E4AE9"), DicomVR.PN).Should().Be("Buc^Jé", "bytes above 07/15 decode leniently as ISO 8859-1");
        set.Encode("Doe^John", DicomVR.PN).Should().Equal("Doe^John"u8.ToArray());
        set.Invoking(s => s.Encode("é", DicomVR.PN)).Should().Throw<DicomCharacterSetException>();
    }

    [Fact]
    public void FromTerms_CodeExtensionAfterUtf8_IsReportedUnsupported()
    {
        var set = Set("ISO_IR 192", "ISO 2022 IR 87");
        set.UnsupportedTerms.Should().Equal("ISO 2022 IR 87");
        set.Decode(Bytes("E78E8B"), DicomVR.PN).Should().Be("王");
    }

    [Fact]
    public void FromTerms_Iso2022Ir87AsValue1_StartsInAsciiAndReachesJisX0208ByEscape()
    {
        // A common misuse: (0008,0005) = "ISO 2022 IR 87" alone. Text still starts in ISO-IR 6.
        var set = Set("ISO 2022 IR 87");
        byte[] bytes = Encoding.ASCII.GetBytes("Yamada^Tarou=\u001b$B;3ED\u001b(B");
        set.Decode(bytes, DicomVR.PN).Should().Be("Yamada^Tarou=山田");
        set.Encode("Yamada^Tarou=山田", DicomVR.PN).Should().Equal(bytes);
    }

    [Fact]
    public void FromTerms_KnownTermsWithPadding_AreFullySupported()
    {
        var set = Set("ISO 2022 IR 13 ", "ISO 2022 IR 87");
        set.IsFullySupported.Should().BeTrue();
        DicomCharacterSet.Default.IsFullySupported.Should().BeTrue();
        Set("").Should().BeSameAs(DicomCharacterSet.Default);
    }

    [Theory]
    [InlineData("ISO_IR 100", "山", 0x5C71, 2)]
    [InlineData("ISO_IR 126", "é", 0xE9, 2)]
    [InlineData("ISO 2022 IR 149", "똠", 0xB620, 2)]
    [InlineData("GBK", "😀", 0x1F600, 2)]
    public void Encode_CharacterOutsideTheRepertoire_ThrowsNamingCodePoint(string term, string character, int codePoint, int index)
    {
        var set = term.StartsWith("ISO 2022", StringComparison.Ordinal) ? Set("", term) : Set(term);
        var thrown = set.Invoking(s => s.Encode("Ab" + character, DicomVR.LO)).Should().Throw<DicomCharacterSetException>().Which;
        thrown.CodePoint.Should().Be(codePoint);
        thrown.Index.Should().Be(index);
        thrown.Message.Should().NotContain("Ab", "the message must not carry the text, which may be patient data");
        set.CanEncode("Ab" + character, DicomVR.LO).Should().BeFalse();
        set.CanEncode("Ab", DicomVR.LO).Should().BeTrue();
    }

    [Fact]
    public void Encode_LoneSurrogateInUtf8_Throws()
    {
        Set("ISO_IR 192").Invoking(s => s.Encode("a\uD800b", DicomVR.LO)).Should().Throw<DicomCharacterSetException>();
    }

    [Fact]
    public void Encode_VRWithoutSpecificCharacterSet_UsesDefaultRepertoire()
    {
        var set = Set("ISO_IR 192");
        set.Encode("é", DicomVR.LO).Should().Equal(Bytes("C3A9"));
        set.Invoking(s => s.Encode("é", DicomVR.CS)).Should().Throw<DicomCharacterSetException>().Which.VR.Should().Be(DicomVR.CS);
        set.Decode(Bytes("C3A9"), DicomVR.LO).Should().Be("é");
        set.Decode(Bytes("C3A9"), DicomVR.CS).Should().NotBe("é");
    }

    [Fact]
    public void Encode_DefaultRepertoire_RejectsNonAscii()
    {
        DicomCharacterSet.Default.Encode("Doe^John", DicomVR.PN).Should().Equal("Doe^John"u8.ToArray());
        DicomCharacterSet.Default.Invoking(s => s.Encode("Jérôme", DicomVR.PN)).Should().Throw<DicomCharacterSetException>()
            .Which.CodePoint.Should().Be(0xE9);
    }

    [Fact]
    public void SupportedTerms_ListsEveryTermOfTheBrief()
    {
        DicomCharacterSet.SupportedTerms.Should().Contain([
            "ISO_IR 100", "ISO_IR 101", "ISO_IR 109", "ISO_IR 110", "ISO_IR 126", "ISO_IR 127", "ISO_IR 138", "ISO_IR 144",
            "ISO_IR 148", "ISO_IR 166", "ISO_IR 13", "ISO_IR 192", "GB18030", "GBK", "ISO 2022 IR 6", "ISO 2022 IR 13",
            "ISO 2022 IR 87", "ISO 2022 IR 159", "ISO 2022 IR 149", "ISO 2022 IR 58", "ISO 2022 IR 100",
        ]);
    }
}

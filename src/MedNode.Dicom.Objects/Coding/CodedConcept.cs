namespace MedNode.Dicom.Objects.Coding;

/// <summary>
/// A coded concept: the Basic Code Sequence Macro's Code Value, Coding Scheme Designator and Code Meaning
/// (PS3.3 Table 8.8-1). Code Values longer than 16 characters would need Long Code Value and are refused here.
/// </summary>
public sealed record CodedConcept(string Value, string Scheme, string Meaning)
{
    /// <summary>The code as one sequence item (PS3.3 §8.8).</summary>
    public DicomDataset ToItem()
    {
        var item = new DicomDataset();
        item.AddOrUpdate(DicomTags.CodeValue, DicomVR.SH, Value);
        item.AddOrUpdate(DicomTags.CodingSchemeDesignator, DicomVR.SH, Scheme);
        item.AddOrUpdate(DicomTags.CodeMeaning, DicomVR.LO, Meaning);
        return item;
    }

    /// <summary>Reads a code from a sequence item; null when Code Value or Coding Scheme Designator is absent.</summary>
    public static CodedConcept? FromItem(DicomDataset item)
    {
        var value = item.GetString(DicomTags.CodeValue) ?? item.GetString(DicomTags.LongCodeValue) ?? item.GetString(DicomTags.URNCodeValue);
        var scheme = item.GetString(DicomTags.CodingSchemeDesignator);
        if (value == null || scheme == null) return null;
        return new CodedConcept(value, scheme, item.GetString(DicomTags.CodeMeaning) ?? "");
    }

    /// <summary>The first item of a code sequence as a code, or null.</summary>
    public static CodedConcept? FromSequence(DicomDataset ds, DicomTag sequence) =>
        ds.GetSequence(sequence) is { Count: > 0 } items ? FromItem(items[0]) : null;

    /// <summary>Same concept: value and scheme match (the meaning is display text only, PS3.3 §8.3).</summary>
    public bool Matches(CodedConcept? other) =>
        other != null && string.Equals(Value, other.Value, StringComparison.Ordinal) && string.Equals(Scheme, other.Scheme, StringComparison.Ordinal);

    public override string ToString() => $"({Value}, {Scheme}, \"{Meaning}\")";
}

using MedNode.Dicom.Objects.Coding;

namespace MedNode.Dicom.Objects.StructuredReport;

/// <summary>
/// Builds SR content items (PS3.3 C.17.3, Document Content Macro and Content Item Macro, Table C.17-2/-5) as data set
/// items. Each factory returns the item; <see cref="Add"/> appends children under a relationship type.
/// </summary>
internal static class ContentItem
{
    public const string Contains = "CONTAINS";
    public const string HasObsContext = "HAS OBS CONTEXT";
    public const string HasConceptMod = "HAS CONCEPT MOD";
    public const string InferredFrom = "INFERRED FROM";
    public const string SelectedFrom = "SELECTED FROM";

    private static DicomDataset Item(string relationship, string valueType, CodedConcept name)
    {
        var item = new DicomDataset();
        item.AddOrUpdate(DicomTags.RelationshipType, DicomVR.CS, relationship);
        item.AddOrUpdate(DicomTags.ValueType, DicomVR.CS, valueType);
        item.AddOrUpdate(DicomTags.ConceptNameCodeSequence, name.ToItem());
        return item;
    }

    public static DicomDataset Container(string relationship, CodedConcept name, params DicomDataset[] children)
    {
        var item = Item(relationship, "CONTAINER", name);
        item.AddOrUpdate(DicomTags.ContinuityOfContent, DicomVR.CS, "SEPARATE");
        return Add(item, children);
    }

    public static DicomDataset Text(string relationship, CodedConcept name, string value)
    {
        var item = Item(relationship, "TEXT", name);
        item.AddOrUpdate(DicomTags.TextValue, DicomVR.UT, value);
        return item;
    }

    public static DicomDataset Code(string relationship, CodedConcept name, CodedConcept value)
    {
        var item = Item(relationship, "CODE", name);
        item.AddOrUpdate(DicomTags.ConceptCodeSequence, value.ToItem());
        return item;
    }

    public static DicomDataset UidRef(string relationship, CodedConcept name, string uid)
    {
        var item = Item(relationship, "UIDREF", name);
        item.AddOrUpdate(DicomTags.UID, DicomVR.UI, uid);
        return item;
    }

    /// <summary>NUM (PS3.3 Table C.18.1-1): the value as DS and, exactly, as Floating Point Value (FD).</summary>
    public static DicomDataset Num(string relationship, CodedConcept name, double value, CodedConcept unit, params DicomDataset[] children)
    {
        var item = Item(relationship, "NUM", name);
        var measured = new DicomDataset();
        measured.AddOrUpdate(DicomTags.MeasurementUnitsCodeSequence, unit.ToItem());
        measured.AddOrUpdate(DicomTags.NumericValue, DicomVR.DS, value);
        measured.AddOrUpdate(DicomTags.FloatingPointValue, DicomVR.FD, value);
        item.AddOrUpdate(DicomTags.MeasuredValueSequence, measured);
        return Add(item, children);
    }

    /// <summary>IMAGE (PS3.3 Table C.18.4-1); an unnamed IMAGE item when <paramref name="name"/> is null.</summary>
    public static DicomDataset Image(string relationship, CodedConcept? name, string sopClassUid, string sopInstanceUid, int frameNumber = 0, int segmentNumber = 0)
    {
        var item = new DicomDataset();
        item.AddOrUpdate(DicomTags.RelationshipType, DicomVR.CS, relationship);
        item.AddOrUpdate(DicomTags.ValueType, DicomVR.CS, "IMAGE");
        if (name != null) item.AddOrUpdate(DicomTags.ConceptNameCodeSequence, name.ToItem());
        var reference = new DicomDataset();
        reference.AddOrUpdate(DicomTags.ReferencedSOPClassUID, DicomVR.UI, sopClassUid);
        reference.AddOrUpdate(DicomTags.ReferencedSOPInstanceUID, DicomVR.UI, sopInstanceUid);
        if (frameNumber > 0) reference.AddOrUpdate(DicomTags.ReferencedFrameNumber, DicomVR.IS, Common.DerivedModules.Int(frameNumber));
        if (segmentNumber > 0) reference.AddOrUpdate(DicomTags.ReferencedSegmentNumber, (ushort)segmentNumber);
        item.AddOrUpdate(DicomTags.ReferencedSOPSequence, reference);
        return item;
    }

    /// <summary>SCOORD (PS3.3 Table C.18.6-1): image coordinates, (0,0) the top left corner of the top left pixel.</summary>
    public static DicomDataset Scoord(string relationship, CodedConcept? name, string graphicType, double[] points, DicomDataset image)
    {
        var item = new DicomDataset();
        item.AddOrUpdate(DicomTags.RelationshipType, DicomVR.CS, relationship);
        item.AddOrUpdate(DicomTags.ValueType, DicomVR.CS, "SCOORD");
        if (name != null) item.AddOrUpdate(DicomTags.ConceptNameCodeSequence, name.ToItem());
        item.AddOrUpdate(DicomTags.GraphicData, DicomVR.FL, points);
        item.AddOrUpdate(DicomTags.GraphicType, DicomVR.CS, graphicType);
        return Add(item, image);
    }

    public static DicomDataset Add(DicomDataset parent, params DicomDataset[] children)
    {
        if (children.Length == 0) return parent;
        var existing = parent.GetSequence(DicomTags.ContentSequence).ToList();
        existing.AddRange(children);
        parent.AddOrUpdate(DicomTags.ContentSequence, existing.ToArray());
        return parent;
    }
}

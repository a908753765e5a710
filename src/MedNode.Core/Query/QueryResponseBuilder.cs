using System.Globalization;
using MedNode.Dicom;

namespace MedNode.Core.Query;

/// <summary>
/// Builds the data set returned for one match: for QIDO-RS the level's default attributes (PS3.18 Tables 10.6.3-3 to -5)
/// plus <c>includefield</c>; for C-FIND exactly the keys of the identifier (PS3.4 C.4.1.1.3.2).
/// </summary>
public static class QueryResponseBuilder
{
    /// <summary>PS3.18 Table 10.6.3-3, Study Resource default attributes (those the index holds).</summary>
    public static readonly IReadOnlyList<DicomTag> StudyDefaults =
    [
        DicomTags.StudyDate, DicomTags.StudyTime, DicomTags.AccessionNumber, DicomTags.ModalitiesInStudy,
        DicomTags.ReferringPhysicianName, DicomTags.PatientName, DicomTags.PatientID, DicomTags.PatientBirthDate,
        DicomTags.PatientSex, DicomTags.StudyInstanceUID, DicomTags.StudyID, DicomTags.NumberOfStudyRelatedSeries,
        DicomTags.NumberOfStudyRelatedInstances,
    ];

    /// <summary>PS3.18 Table 10.6.3-4, Series Resource default attributes (those the index holds).</summary>
    public static readonly IReadOnlyList<DicomTag> SeriesDefaults =
    [
        DicomTags.Modality, DicomTags.SeriesDescription, DicomTags.SeriesInstanceUID, DicomTags.SeriesNumber,
        DicomTags.NumberOfSeriesRelatedInstances,
    ];

    /// <summary>PS3.18 Table 10.6.3-5, Instance Resource default attributes (those the index holds).</summary>
    public static readonly IReadOnlyList<DicomTag> InstanceDefaults =
    [
        DicomTags.SOPClassUID, DicomTags.SOPInstanceUID, DicomTags.InstanceNumber, DicomTags.Rows, DicomTags.Columns,
        DicomTags.NumberOfFrames,
    ];

    private static readonly DicomTag[] Aggregates =
    [
        DicomTags.ModalitiesInStudy, DicomTags.NumberOfStudyRelatedSeries, DicomTags.NumberOfStudyRelatedInstances,
        DicomTags.NumberOfSeriesRelatedInstances, DicomTags.NumberOfPatientRelatedStudies,
    ];

    /// <summary>
    /// The attributes of a QIDO-RS response at a level. <paramref name="includeParentLevels"/>: the request was for all series
    /// or all instances, not under a study (PS3.18 §10.6.3.3.1), so the study (and series) defaults come too.
    /// </summary>
    public static IReadOnlyList<DicomTag> QidoAttributes(DicomQuery query, bool includeParentLevels)
    {
        var tags = new List<DicomTag>();
        switch (query.Level)
        {
            case QueryLevel.Patient:
                tags.AddRange([DicomTags.PatientName, DicomTags.PatientID, DicomTags.PatientBirthDate, DicomTags.PatientSex, DicomTags.NumberOfPatientRelatedStudies]);
                break;
            case QueryLevel.Study:
                tags.AddRange(StudyDefaults);
                break;
            case QueryLevel.Series:
                if (includeParentLevels) tags.AddRange(StudyDefaults);
                tags.AddRange(SeriesDefaults);
                break;
            default:
                if (includeParentLevels) tags.AddRange([.. StudyDefaults, .. SeriesDefaults]);
                tags.AddRange(InstanceDefaults);
                break;
        }
        tags.AddRange(query.ReturnKeys);
        tags.AddRange(query.MatchingKeys.Select(k => k.Tag));
        tags.AddRange(query.SequenceKeys.Select(k => k.Tag));
        if (query.IncludeAll) tags.AddRange([.. QueryAttributes.All.Select(a => a.Tag), .. Aggregates]);
        return [.. tags.Distinct().Order()];
    }

    /// <summary>The QIDO-RS data set for one match; attributes without a value are left out, RetrieveURL added when given.</summary>
    public static DicomDataset BuildQido(QueryMatch match, IReadOnlyList<DicomTag> attributes, string? retrieveUrl)
    {
        var ds = NewDataset(match);
        foreach (var tag in attributes)
            if (Value(match, tag) is { Length: > 0 } values) TrySet(ds, tag, values);
        // Matched or requested sequences (PS3.4 C.2.2.2.6), left out like other attributes when they hold no item.
        foreach (var sequence in match.Sequences?.OfType<DicomSequence>() ?? [])
            if (sequence.Items.Count > 0) ds.Add(sequence);
        if (retrieveUrl != null) ds.AddOrUpdate(DicomTags.RetrieveURL, DicomVR.UR, retrieveUrl);
        return ds;
    }

    /// <summary>The C-FIND response identifier: every requested key, empty where the index holds no value.</summary>
    public static DicomDataset BuildCFind(DicomQuery query, QueryMatch match)
    {
        var ds = NewDataset(match);
        ds.AddOrUpdate(DicomTags.QueryRetrieveLevel, DicomVR.CS, match.Level.ToString().ToUpperInvariant());
        foreach (var tag in query.ReturnKeys)
        {
            if (match.Sequences?[tag] is DicomSequence sequence) ds.Add(sequence);
            else if (query.SequenceKeys.Any(k => k.Tag == tag)) ds.Add(new DicomSequence(tag));
            else if (!TrySet(ds, tag, Value(match, tag) ?? [])) TrySet(ds, tag, []);
        }
        return ds;
    }

    private static DicomDataset NewDataset(QueryMatch match)
    {
        var ds = new DicomDataset();
        if (match.Representative.SpecificCharacterSet.Length > 0)
            ds.AddOrUpdate(DicomTags.SpecificCharacterSet, DicomVR.CS, match.Representative.SpecificCharacterSet.Split('\\'));
        return ds;
    }

    private static string[]? Value(QueryMatch match, DicomTag tag)
    {
        static string N(int n) => n.ToString(CultureInfo.InvariantCulture);
        if (tag == DicomTags.ModalitiesInStudy) return [.. match.ModalitiesInStudy];
        if (tag == DicomTags.NumberOfStudyRelatedSeries) return [N(match.NumberOfStudyRelatedSeries)];
        if (tag == DicomTags.NumberOfStudyRelatedInstances) return [N(match.NumberOfStudyRelatedInstances)];
        if (tag == DicomTags.NumberOfSeriesRelatedInstances) return [N(match.NumberOfSeriesRelatedInstances)];
        if (tag == DicomTags.NumberOfPatientRelatedStudies) return [N(match.NumberOfPatientRelatedStudies)];
        if (QueryAttributes.Find(tag) is { } attribute)
        {
            var v = attribute.Read(match.Representative);
            return v.Length == 0 ? [] : attribute.VR is DicomVR.PN ? [v] : v.Split('\\');
        }
        return null;
    }

    /// <summary>Sets a value; a stored value that does not fit its VR is left out rather than failing the whole response.</summary>
    private static bool TrySet(DicomDataset ds, DicomTag tag, string[] values)
    {
        var vr = QueryAttributes.Find(tag)?.VR ?? DicomDictionary.ImplicitVR(tag);
        try
        {
            if (vr == DicomVR.US)
                ds.AddOrUpdate(tag, [.. values.Select(v => ushort.Parse(v, CultureInfo.InvariantCulture))]);
            else
                ds.AddOrUpdate(tag, vr, values);
            return true;
        }
        catch (Exception e) when (e is DicomValueException or DicomCharacterSetException or FormatException or OverflowException or ArgumentException)
        {
            return false;
        }
    }
}

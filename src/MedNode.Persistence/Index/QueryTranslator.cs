using System.Globalization;
using System.Linq.Expressions;
using System.Text;
using MedNode.Core.Query;
using MedNode.Dicom;
using Microsoft.EntityFrameworkCore;

namespace MedNode.Persistence.Index;

/// <summary>
/// Translates the matching keys of a <see cref="DicomQuery"/> into LINQ over <see cref="InstanceEntity"/>, with the
/// semantics of <see cref="QueryMatcher"/> (PS3.4 C.2.2.2): exact and case-sensitive (PN through its upper-case key column),
/// UID lists as IN, wildcards as GLOB on SQLite (case-sensitive) or LIKE with escaping elsewhere, DA/TM/DT ranges as
/// ordinal string comparisons with an upper bound that covers the prefixes it names.
/// </summary>
internal static class QueryTranslator
{
    public static IQueryable<InstanceEntity> Apply(IQueryable<InstanceEntity> instances, IQueryable<StudyEntity> studies, DicomQuery query, bool sqlite)
    {
        foreach (var key in query.MatchingKeys)
        {
            if (key.Attribute.IsStudyAggregate)
            {
                var any = key.Values.Select(m => Contains(@"\" + m + @"\")).Aggregate(Or);
                var studyUids = studies.Where(any).Select(s => s.StudyInstanceUid);
                instances = instances.Where(i => studyUids.Contains(i.StudyInstanceUid));
                continue;
            }
            instances = instances.Where(Predicate(key, sqlite));
        }
        return instances;
    }

    private static Expression<Func<StudyEntity, bool>> Contains(string token) => s => s.ModalitiesInStudy.Contains(token);

    private static Expression<Func<StudyEntity, bool>> Or(Expression<Func<StudyEntity, bool>> a, Expression<Func<StudyEntity, bool>> b)
    {
        var p = a.Parameters[0];
        return Expression.Lambda<Func<StudyEntity, bool>>(Expression.OrElse(a.Body, Rebind(b, p)), p);
    }

    private static Expression<Func<InstanceEntity, bool>> Predicate(QueryKey key, bool sqlite)
    {
        var row = Expression.Parameter(typeof(InstanceEntity), "i");
        bool pn = key.Attribute.VR == DicomVR.PN;
        if (key.Attribute.VR == DicomVR.US || key.Tag == DicomTags.NumberOfFrames)
        {
            // Integer columns: the parser has checked the value is an integer.
            var n = int.Parse(key.Value, CultureInfo.InvariantCulture);
            var intColumn = Expression.Property(row, ColumnName(key));
            return Expression.Lambda<Func<InstanceEntity, bool>>(Expression.Equal(intColumn, Expression.Constant((int?)n, typeof(int?))), row);
        }
        var column = Expression.Property(row, ColumnName(key) + (pn ? "Key" : ""));
        Expression<Func<string, bool>> test;
        switch (key.Kind)
        {
            case MatchKind.SingleValue:
                var single = pn ? QueryMatcher.NormalizePersonName(key.Value) : key.Value;
                test = v => v == single;
                break;
            case MatchKind.UidList:
                var list = key.Values.ToList();
                test = v => list.Contains(v);
                break;
            case MatchKind.Wildcard:
                var pattern = pn ? QueryMatcher.NormalizePersonName(key.Value) : key.Value;
                if (sqlite)
                {
                    var glob = ToGlob(pattern);
                    test = v => EF.Functions.Glob(v, glob);
                }
                else
                {
                    var like = ToLike(pattern);
                    test = v => EF.Functions.Like(v, like, @"\");
                }
                break;
            case MatchKind.Range:
                var low = key.RangeLow;
                var high = key.RangeHigh is { } h ? QueryMatcher.UpperBound(h) : null;
                if (low != null && high != null) test = v => v != "" && string.Compare(v, low) >= 0 && string.Compare(v, high) <= 0;
                else if (low != null) test = v => v != "" && string.Compare(v, low) >= 0;
                else test = v => v != "" && string.Compare(v, high) <= 0;
                break;
            default:
                test = v => true;
                break;
        }
        return Expression.Lambda<Func<InstanceEntity, bool>>(new Replace(test.Parameters[0], column).Visit(test.Body), row);
    }

    private static string ColumnName(QueryKey key) => key.Attribute.Keyword switch
    {
        "PatientID" => nameof(InstanceEntity.PatientId),
        "StudyID" => nameof(InstanceEntity.StudyId),
        "StudyInstanceUID" => nameof(InstanceEntity.StudyInstanceUid),
        "SeriesInstanceUID" => nameof(InstanceEntity.SeriesInstanceUid),
        "SOPInstanceUID" => nameof(InstanceEntity.SopInstanceUid),
        "SOPClassUID" => nameof(InstanceEntity.SopClassUid),
        var k => k,
    };

    /// <summary>GLOB pattern: <c>*</c> and <c>?</c> keep their meaning; a literal <c>[</c> becomes <c>[[]</c>.</summary>
    internal static string ToGlob(string pattern) => pattern.Replace("[", "[[]", StringComparison.Ordinal);

    /// <summary>LIKE pattern with <c>\</c> as escape: literal <c>\</c>, <c>%</c>, <c>_</c> escaped, then <c>*</c>→<c>%</c>, <c>?</c>→<c>_</c>.</summary>
    internal static string ToLike(string pattern)
    {
        var sb = new StringBuilder(pattern.Length + 8);
        foreach (var c in pattern)
        {
            switch (c)
            {
                case '\\' or '%' or '_': sb.Append('\\').Append(c); break;
                case '*': sb.Append('%'); break;
                case '?': sb.Append('_'); break;
                default: sb.Append(c); break;
            }
        }
        return sb.ToString();
    }

    private static Expression Rebind<T>(Expression<Func<T, bool>> lambda, ParameterExpression p) => new Replace(lambda.Parameters[0], p).Visit(lambda.Body);

    private sealed class Replace(ParameterExpression from, Expression to) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == from ? to : base.VisitParameter(node);
    }
}

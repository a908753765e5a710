using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace MedNode.Core.Audit;

/// <summary>
/// One row of the append-only audit trail. <see cref="Hash"/> is the SHA-256 of <see cref="PreviousHash"/> and the
/// row's canonical content, so changing, removing or reordering any row breaks every hash after it.
/// </summary>
public sealed record AuditRecord
{
    public required long Sequence { get; init; }
    public required DateTimeOffset Time { get; init; }
    public required string EventCode { get; init; }
    public required string EventScheme { get; init; }
    public required string Action { get; init; }
    public required int Outcome { get; init; }

    /// <summary>The participants, one per line: "userId|address|R or -|role".</summary>
    public required string Participants { get; init; }
    public string? StudyInstanceUid { get; init; }
    public string? PatientId { get; init; }
    public string? Detail { get; init; }
    public required string PreviousHash { get; init; }
    public required string Hash { get; init; }

    /// <summary>The hash of the row before the first: 64 zeros.</summary>
    public static readonly string GenesisHash = new('0', 64);

    /// <summary>Builds the next row of the chain from an event; its time is the event's <see cref="AuditEvent.OccurredAt"/>, else <paramref name="time"/>.</summary>
    public static AuditRecord Create(AuditEvent e, long sequence, DateTimeOffset time, string previousHash, AuditOptions options)
    {
        var patient = e.PatientId;
        if (patient != null && options.HashPatientIdentifiers) patient = "sha256:" + Sha256Hex(patient);
        var unsigned = new AuditRecord
        {
            Sequence = sequence,
            Time = (e.OccurredAt ?? time).ToUniversalTime(),
            EventCode = e.Type.Code,
            EventScheme = e.Type.Scheme,
            Action = e.Action.ToString(),
            Outcome = (int)e.Outcome,
            Participants = string.Join('\n', e.Participants.Select(p => $"{Clean(p.UserId)}|{Clean(p.NetworkAddress)}|{(p.IsRequestor ? "R" : "-")}|{Clean(p.Role)}")),
            StudyInstanceUid = e.StudyInstanceUid,
            PatientId = patient,
            Detail = e.Detail,
            PreviousHash = previousHash,
            Hash = "",
        };
        return unsigned with { Hash = unsigned.ComputeHash() };
    }

    /// <summary>SHA-256 over the previous hash and every content field, each length-prefixed so fields cannot run together.</summary>
    public string ComputeHash()
    {
        var sb = new StringBuilder();
        void Field(string? v) => sb.Append(v == null ? "-1" : v.Length.ToString(CultureInfo.InvariantCulture)).Append(':').Append(v).Append(';');
        Field(PreviousHash);
        Field(Sequence.ToString(CultureInfo.InvariantCulture));
        Field(Time.UtcTicks.ToString(CultureInfo.InvariantCulture));
        Field(EventCode);
        Field(EventScheme);
        Field(Action);
        Field(Outcome.ToString(CultureInfo.InvariantCulture));
        Field(Participants);
        Field(StudyInstanceUid);
        Field(PatientId);
        Field(Detail);
        return Sha256Hex(sb.ToString());
    }

    private static string Clean(string? s) => (s ?? "").Replace('|', '/').Replace('\n', ' ');

    private static string Sha256Hex(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)));
}

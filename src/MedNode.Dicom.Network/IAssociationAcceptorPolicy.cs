using MedNode.Dicom.Network.Pdus;

namespace MedNode.Dicom.Network;

/// <summary>Why an association is rejected (PS3.8 Table 9-21).</summary>
public sealed record AssociationRejection(AssociateRejectResult Result, AssociateRejectSource Source, AssociateRejectReason Reason)
{
    public static AssociationRejection CalledAeTitleNotRecognized { get; } = new(AssociateRejectResult.RejectedPermanent, AssociateRejectSource.ServiceUser, AssociateRejectReason.CalledAeTitleNotRecognized);

    public static AssociationRejection CallingAeTitleNotRecognized { get; } = new(AssociateRejectResult.RejectedPermanent, AssociateRejectSource.ServiceUser, AssociateRejectReason.CallingAeTitleNotRecognized);

    public static AssociationRejection ApplicationContextNameNotSupported { get; } = new(AssociateRejectResult.RejectedPermanent, AssociateRejectSource.ServiceUser, AssociateRejectReason.ApplicationContextNameNotSupported);

    public static AssociationRejection ProtocolVersionNotSupported { get; } = new(AssociateRejectResult.RejectedPermanent, AssociateRejectSource.ServiceProviderAcse, AssociateRejectReason.ProtocolVersionNotSupported);

    public static AssociationRejection LocalLimitExceeded { get; } = new(AssociateRejectResult.RejectedTransient, AssociateRejectSource.ServiceProviderPresentation, AssociateRejectReason.LocalLimitExceeded);

    public static AssociationRejection NoReasonGiven { get; } = new(AssociateRejectResult.RejectedPermanent, AssociateRejectSource.ServiceUser, AssociateRejectReason.NoReasonGiven);
}

/// <summary>The acceptor's answer for one proposed presentation context (PS3.8 Table 9-18).</summary>
public readonly record struct PresentationContextDecision(PresentationContextResult Result, string? TransferSyntax)
{
    public static PresentationContextDecision Accept(string transferSyntax) => new(PresentationContextResult.Acceptance, transferSyntax);

    public static PresentationContextDecision AbstractSyntaxNotSupported => new(PresentationContextResult.AbstractSyntaxNotSupported, null);

    public static PresentationContextDecision TransferSyntaxesNotSupported => new(PresentationContextResult.TransferSyntaxesNotSupported, null);
}

/// <summary>How an acceptor answers an A-ASSOCIATE-RQ. One instance may serve many associations at once.</summary>
public interface IAssociationAcceptorPolicy
{
    /// <summary>Checks the request as a whole (called and calling AE titles, limits); null lets it proceed.</summary>
    AssociationRejection? Check(AAssociateRq request);

    /// <summary>Accepts one proposed transfer syntax, or rejects with reason 3 or 4 (PS3.8 Table 9-18).</summary>
    PresentationContextDecision Decide(PresentationContextRq proposed);

    /// <summary>
    /// Answers an SCP/SCU role selection (PS3.7 §D.3.3.4): the acceptor may keep or clear each proposed role.
    /// The default accepts what is proposed.
    /// </summary>
    ScpScuRoleSelection DecideRole(ScpScuRoleSelection proposed) => proposed;
}

/// <summary>
/// A policy for one local AE title: the abstract syntaxes it serves, each with its transfer syntaxes in order of
/// preference, and optionally the calling AE titles allowed.
/// </summary>
public sealed class SimpleAcceptorPolicy : IAssociationAcceptorPolicy
{
    private readonly string _aeTitle;
    private readonly IReadOnlyDictionary<string, IReadOnlyList<string>> _syntaxes;
    private readonly IReadOnlySet<string>? _callingAeTitles;

    public SimpleAcceptorPolicy(string aeTitle, IReadOnlyDictionary<string, IReadOnlyList<string>> transferSyntaxesByAbstractSyntax, IReadOnlySet<string>? allowedCallingAeTitles = null)
    {
        _aeTitle = aeTitle;
        _syntaxes = transferSyntaxesByAbstractSyntax;
        _callingAeTitles = allowedCallingAeTitles;
    }

    public AssociationRejection? Check(AAssociateRq request)
    {
        if (!string.Equals(request.CalledAeTitle, _aeTitle, StringComparison.Ordinal)) return AssociationRejection.CalledAeTitleNotRecognized;
        if (_callingAeTitles != null && !_callingAeTitles.Contains(request.CallingAeTitle)) return AssociationRejection.CallingAeTitleNotRecognized;
        return null;
    }

    public PresentationContextDecision Decide(PresentationContextRq proposed)
    {
        if (!_syntaxes.TryGetValue(proposed.AbstractSyntax, out var preferred)) return PresentationContextDecision.AbstractSyntaxNotSupported;
        foreach (var ts in preferred)
        {
            if (proposed.TransferSyntaxes.Contains(ts, StringComparer.Ordinal)) return PresentationContextDecision.Accept(ts);
        }
        return PresentationContextDecision.TransferSyntaxesNotSupported;
    }
}

using MedNode.Dicom.Network.Pdus;

namespace MedNode.Dicom.Network;

/// <summary>What a requestor proposes (PS3.8 §7.1.1): AE titles, presentation contexts and user information.</summary>
public sealed record AssociationRequest(string CalledAeTitle, string CallingAeTitle, IReadOnlyList<PresentationContextRq> PresentationContexts)
{
    public IReadOnlyList<ScpScuRoleSelection> RoleSelections { get; init; } = [];

    public AsynchronousOperationsWindow? AsynchronousOperationsWindow { get; init; }

    public IReadOnlyList<SopClassExtendedNegotiation> ExtendedNegotiations { get; init; } = [];

    public IReadOnlyList<SopClassCommonExtendedNegotiation> CommonExtendedNegotiations { get; init; } = [];

    public UserIdentityRq? UserIdentity { get; init; }

    internal AAssociateRq ToPdu(AssociationOptions options) => new()
    {
        CalledAeTitle = CalledAeTitle,
        CallingAeTitle = CallingAeTitle,
        PresentationContexts = PresentationContexts,
        UserInformation = new UserInformation
        {
            MaximumLength = options.MaxPduLength,
            ImplementationClassUid = options.ImplementationClassUid,
            ImplementationVersionName = options.ImplementationVersionName,
            AsynchronousOperationsWindow = AsynchronousOperationsWindow,
            RoleSelections = RoleSelections,
            ExtendedNegotiations = ExtendedNegotiations,
            CommonExtendedNegotiations = CommonExtendedNegotiations,
            UserIdentityRq = UserIdentity,
        },
    };
}

/// <summary>
/// A presentation context as negotiated (PS3.8 §7.1.1.13). <see cref="ScuRole"/> and <see cref="ScpRole"/> are the
/// roles of the association-requestor for this abstract syntax (PS3.7 §D.3.3.4); without role selection the
/// requestor is SCU only.
/// </summary>
public sealed record PresentationContext(byte Id, string AbstractSyntax, PresentationContextResult Result, string? TransferSyntax, bool ScuRole = true, bool ScpRole = false)
{
    public bool IsAccepted => Result == PresentationContextResult.Acceptance;
}

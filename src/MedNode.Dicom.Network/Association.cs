using MedNode.Dicom.Network.Pdus;
using MedNode.Dicom.Network.UpperLayer;
using Microsoft.Extensions.Logging;
using static MedNode.Dicom.Network.UpperLayer.UpperLayerAction;
using static MedNode.Dicom.Network.UpperLayer.UpperLayerEvent;

namespace MedNode.Dicom.Network;

/// <summary>
/// One DICOM association over a transport (PS3.8 §7, §9), driven by <see cref="UpperLayerStateMachine"/>.
/// Create it with <see cref="RequestAsync"/> (association-requestor) or <see cref="AcceptAsync"/>
/// (association-acceptor); the association then owns the transport and closes it.
/// </summary>
/// <remarks>
/// Receiving (<see cref="ReceiveMessageAsync"/>, reading a data set, <see cref="ReleaseAsync"/>,
/// <see cref="SendReleaseResponseAsync"/>, <see cref="AbortAsync"/>) is for one caller at a time; sending may run
/// beside it. Protocol violations by the peer end in an A-ABORT (PS3.8 Table 9-26) and an
/// <see cref="AssociationAbortedException"/>.
/// </remarks>
public sealed partial class Association : IAsyncDisposable
{
    private readonly IDuplexPipe _transport;
    private readonly AssociationOptions _options;
    private readonly UpperLayerStateMachine _fsm;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ILogger _log;
    private Dictionary<byte, PresentationContext> _contexts = [];
    private volatile bool _artimFired;
    private bool _hasPending;
    private SequencePosition _pendingEnd;
    private bool _transportClosed;

    private Association(IDuplexPipe transport, AssociationOptions options, bool isRequestor)
    {
        options.Validate();
        _transport = transport;
        _options = options;
        _log = options.Logger;
        _fsm = new UpperLayerStateMachine(isRequestor, options.TimeProvider, options.ArtimTimeout, OnArtimExpired);
    }

    public bool IsRequestor => _fsm.IsRequestor;

    /// <summary>The current state (PS3.8 §9.2.1).</summary>
    public UpperLayerState State => _fsm.State;

    /// <summary>The A-ASSOCIATE-RQ as sent or received.</summary>
    public AAssociateRq Request { get; private set; } = null!;

    /// <summary>The A-ASSOCIATE-AC as sent or received.</summary>
    public AAssociateAc Accept { get; private set; } = null!;

    public string CalledAeTitle => Request.CalledAeTitle;

    public string CallingAeTitle => Request.CallingAeTitle;

    /// <summary>Every proposed presentation context with its result, transfer syntax and roles.</summary>
    public IReadOnlyCollection<PresentationContext> PresentationContexts => _contexts.Values;

    /// <summary>The peer's Maximum Length (PS3.8 §D.1): the P-DATA-TF size this side sends at most; 0 = no limit.</summary>
    public uint PeerMaxPduLength { get; private set; }

    /// <summary>The Maximum Length this side announced and enforces on what it receives.</summary>
    public uint LocalMaxPduLength => _options.MaxPduLength;

    /// <summary>Whether the peer has asked to release (PS3.8 Sta8): answer with <see cref="SendReleaseResponseAsync"/>.</summary>
    public bool IsReleaseRequested => _fsm.State == UpperLayerState.Sta8;

    /// <summary>The presentation context with this ID, or null.</summary>
    public PresentationContext? GetPresentationContext(byte id) => _contexts.GetValueOrDefault(id);

    /// <summary>
    /// Association-requestor (PS3.8 §7.1): sends the A-ASSOCIATE-RQ on a transport the caller has connected, and
    /// returns once the peer accepts.
    /// </summary>
    /// <exception cref="AssociationRejectedException">The peer sent an A-ASSOCIATE-RJ.</exception>
    /// <exception cref="AssociationAbortedException">The peer aborted, closed, or broke the protocol.</exception>
    public static async Task<Association> RequestAsync(IDuplexPipe transport, AssociationRequest request, AssociationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var a = new Association(transport, options ?? new AssociationOptions(), isRequestor: true);
        try
        {
            // AE-1 asks the transport to connect: the caller has done so, which is Evt2 at once.
            a._fsm.Fire(Evt1);
            a._fsm.Fire(Evt2);
            a.Request = request.ToPdu(a._options);
            await a.WritePduAsync(a.Request, cancellationToken);
            var inbound = await a.ReadInboundAsync(cancellationToken);
            var t = a.Fire(inbound);
            switch (t.Action)
            {
                case Ae3:
                    a.NegotiateAsRequestor((AAssociateAc)inbound.Pdu!);
                    return a;
                case Ae4:
                    await a.CloseTransportAsync();
                    throw new AssociationRejectedException((AAssociateRj)inbound.Pdu!, byPeer: true);
                default:
                    await a.AbnormalAsync(t, inbound, cancellationToken);
                    throw a.Unexpected(t);
            }
        }
        catch
        {
            await a.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Association-acceptor (PS3.8 §7.1): waits for the A-ASSOCIATE-RQ within ARTIM on an accepted transport,
    /// answers it with <paramref name="policy"/>, and returns once the A-ASSOCIATE-AC is sent.
    /// </summary>
    /// <exception cref="AssociationRejectedException">This side sent an A-ASSOCIATE-RJ (the exception says why).</exception>
    /// <exception cref="AssociationAbortedException">No valid A-ASSOCIATE-RQ arrived.</exception>
    public static async Task<Association> AcceptAsync(IDuplexPipe transport, IAssociationAcceptorPolicy policy, AssociationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var a = new Association(transport, options ?? new AssociationOptions(), isRequestor: false);
        try
        {
            a._fsm.Fire(Evt5);
            var inbound = await a.ReadInboundAsync(cancellationToken);
            // AE-6: the service-provider accepts protocol version 1 only (PS3.8 Table 9-11: test bit 0).
            var acceptable = inbound.Pdu is not AAssociateRq rq0 || (rq0.ProtocolVersion & 1) != 0;
            var t = a.Fire(inbound, acceptable);
            if (t.Action != Ae6)
            {
                await a.AbnormalAsync(t, inbound, cancellationToken);
                throw a.Unexpected(t);
            }
            var rq = (AAssociateRq)inbound.Pdu!;
            a.Request = rq;
            if (t.To == UpperLayerState.Sta13)
            {
                await a.RejectAsync(AssociationRejection.ProtocolVersionNotSupported, cancellationToken, alreadyFired: true);
            }
            var rejection = string.Equals(rq.ApplicationContextName, AssociateFields.DicomApplicationContextName, StringComparison.Ordinal)
                ? policy.Check(rq)
                : AssociationRejection.ApplicationContextNameNotSupported;
            if (rejection != null) await a.RejectAsync(rejection, cancellationToken, alreadyFired: false);

            a.Accept = a.NegotiateAsAcceptor(rq, policy);
            a._fsm.Fire(Evt7);
            await a.WritePduAsync(a.Accept, cancellationToken);
            a._log.LogInformation("Association accepted: {Calling} -> {Called}, {Accepted}/{Proposed} presentation contexts", rq.CallingAeTitle, rq.CalledAeTitle, a._contexts.Values.Count(c => c.IsAccepted), a._contexts.Count);
            return a;
        }
        catch
        {
            await a.DisposeAsync();
            throw;
        }
    }

    /// <summary>AE-8 (or AE-6's reject branch): sends the A-ASSOCIATE-RJ, waits for the requestor to close, and throws.</summary>
    private async Task RejectAsync(AssociationRejection rejection, CancellationToken ct, bool alreadyFired)
    {
        if (!alreadyFired) _fsm.Fire(Evt8);
        var rj = new AAssociateRj(rejection.Result, rejection.Source, rejection.Reason);
        _log.LogWarning("Association rejected: calling {Calling}, called {Called}: result {Result}, source {Source}, reason {Reason}", Request.CallingAeTitle, Request.CalledAeTitle, rj.Result, rj.Source, (byte)rj.Reason);
        await WritePduAsync(rj, ct);
        await WaitForTransportCloseAsync(ct);
        throw new AssociationRejectedException(rj, byPeer: false);
    }

    private void NegotiateAsRequestor(AAssociateAc ac)
    {
        Accept = ac;
        PeerMaxPduLength = ac.UserInformation.MaximumLength ?? 0;
        var results = ac.PresentationContexts.ToDictionary(p => p.Id);
        var contexts = new Dictionary<byte, PresentationContext>();
        foreach (var pc in Request.PresentationContexts)
        {
            var (scu, scp) = RolesFor(pc.AbstractSyntax, Request.UserInformation, ac.UserInformation);
            contexts[pc.Id] = results.TryGetValue(pc.Id, out var r)
                ? new PresentationContext(pc.Id, pc.AbstractSyntax, r.Result, r.Result == PresentationContextResult.Acceptance ? r.TransferSyntax : null, scu, scp)
                : new PresentationContext(pc.Id, pc.AbstractSyntax, PresentationContextResult.NoReason, null, scu, scp);
        }
        _contexts = contexts;
    }

    private AAssociateAc NegotiateAsAcceptor(AAssociateRq rq, IAssociationAcceptorPolicy policy)
    {
        PeerMaxPduLength = rq.UserInformation.MaximumLength ?? 0;
        List<PresentationContextAc> answers = [];
        var contexts = new Dictionary<byte, PresentationContext>();
        List<ScpScuRoleSelection> roleAnswers = [];
        foreach (var proposed in rq.UserInformation.RoleSelections)
        {
            var decided = policy.DecideRole(proposed);
            roleAnswers.Add(new ScpScuRoleSelection(proposed.SopClassUid, proposed.ScuRole && decided.ScuRole, proposed.ScpRole && decided.ScpRole));
        }
        var ourInfo = new UserInformation
        {
            MaximumLength = _options.MaxPduLength,
            ImplementationClassUid = _options.ImplementationClassUid,
            ImplementationVersionName = _options.ImplementationVersionName,
            RoleSelections = roleAnswers,
        };
        foreach (var pc in rq.PresentationContexts)
        {
            var decision = contexts.ContainsKey(pc.Id)
                ? new PresentationContextDecision(PresentationContextResult.NoReason, null)
                : policy.Decide(pc);
            if (decision.Result == PresentationContextResult.Acceptance && !pc.TransferSyntaxes.Contains(decision.TransferSyntax, StringComparer.Ordinal))
                throw new InvalidOperationException($"The acceptor policy chose transfer syntax {decision.TransferSyntax}, which presentation context {pc.Id} did not propose.");
            var (scu, scp) = RolesFor(pc.AbstractSyntax, rq.UserInformation, ourInfo);
            answers.Add(new PresentationContextAc(pc.Id, decision.Result, decision.TransferSyntax ?? ""));
            contexts[pc.Id] = new PresentationContext(pc.Id, pc.AbstractSyntax, decision.Result, decision.TransferSyntax, scu, scp);
        }
        _contexts = contexts;
        return new AAssociateAc
        {
            CalledAeTitle = rq.CalledAeTitle,
            CallingAeTitle = rq.CallingAeTitle,
            PresentationContexts = answers,
            UserInformation = ourInfo,
        };
    }

    /// <summary>
    /// The requestor's roles for a SOP class (PS3.7 §D.3.3.4): without a proposal, or without an answer, it is SCU
    /// only; otherwise a role holds when it was both proposed and accepted.
    /// </summary>
    private static (bool Scu, bool Scp) RolesFor(string sopClass, UserInformation proposedBy, UserInformation answeredBy)
    {
        var proposed = proposedBy.RoleSelections.FirstOrDefault(r => r.SopClassUid == sopClass);
        var answered = answeredBy.RoleSelections.FirstOrDefault(r => r.SopClassUid == sopClass);
        if (proposed == null || answered == null) return (true, false);
        return (proposed.ScuRole && answered.ScuRole, proposed.ScpRole && answered.ScpRole);
    }

    private InvalidOperationException Unexpected(UpperLayerTransition t) =>
        new($"Upper layer reached {t.To} by {t.Action} on {t.Event} from {t.From} where it should not.");

    public async ValueTask DisposeAsync()
    {
        if (!_transportClosed && _fsm.State is >= UpperLayerState.Sta3 and <= UpperLayerState.Sta12 and not UpperLayerState.Sta4)
        {
            try
            {
                _fsm.Fire(Evt15);
                await WritePduQuietlyAsync(new AAbort(AAbortSource.ServiceUser, AAbortReason.ReasonNotSpecified));
            }
            catch (InvalidOperationException)
            {
                // The state changed under us; closing is all that is left.
            }
        }
        await CloseTransportAsync();
        _fsm.Dispose();
        _writeLock.Dispose();
    }
}

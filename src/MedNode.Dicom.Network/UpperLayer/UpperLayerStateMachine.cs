using static MedNode.Dicom.Network.UpperLayer.UpperLayerAction;

namespace MedNode.Dicom.Network.UpperLayer;

/// <summary>One step of the state machine: in <see cref="From"/>, <see cref="Event"/> caused <see cref="Action"/> and led to <see cref="To"/>.</summary>
public readonly record struct UpperLayerTransition(UpperLayerState From, UpperLayerEvent Event, UpperLayerAction Action, UpperLayerState To);

/// <summary>
/// The DICOM upper layer state machine (PS3.8 §9.2), driven by <see cref="StateTransitionTable"/>. It decides the
/// action and the next state, and runs the ARTIM timer (PS3.8 §9.1.5) on the given <see cref="TimeProvider"/>;
/// the caller performs the I/O that the action names. When ARTIM expires the callback is invoked, and the caller
/// fires <see cref="UpperLayerEvent.Evt18"/>.
/// </summary>
public sealed class UpperLayerStateMachine : IDisposable
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _artimTimeout;
    private readonly Action? _artimExpired;
    private ITimer? _artim;

    public UpperLayerStateMachine(bool isRequestor, TimeProvider time, TimeSpan artimTimeout, Action? artimExpired = null, UpperLayerState initialState = UpperLayerState.Sta1)
    {
        IsRequestor = isRequestor;
        _time = time;
        _artimTimeout = artimTimeout;
        _artimExpired = artimExpired;
        State = initialState;
    }

    /// <summary>True on the association-requestor side (it decides AR-8's next state).</summary>
    public bool IsRequestor { get; }

    public UpperLayerState State { get; private set; }

    public bool IsArtimRunning
    {
        get { lock (_gate) return _artim != null; }
    }

    /// <summary>Applies an event; throws when Table 9-10 has an empty cell for it in the current state.</summary>
    /// <param name="associateRqAcceptable">For AE-6: whether the service-provider accepts the A-ASSOCIATE-RQ (e.g. its protocol version).</param>
    public UpperLayerTransition Fire(UpperLayerEvent evt, bool associateRqAcceptable = true)
    {
        lock (_gate)
        {
            var from = State;
            var action = StateTransitionTable.Lookup(from, evt)
                ?? throw new InvalidOperationException($"{evt} cannot occur in {from} (PS3.8 Table 9-10).");
            var to = StateTransitionTable.NextState(action, associateRqAcceptable, IsRequestor);
            ApplyArtim(action, associateRqAcceptable);
            if (to == UpperLayerState.Sta1) StopArtim();
            State = to;
            return new UpperLayerTransition(from, evt, action, to);
        }
    }

    /// <summary>Whether <paramref name="evt"/> has an action in the current state.</summary>
    public bool CanFire(UpperLayerEvent evt)
    {
        lock (_gate) return StateTransitionTable.Lookup(State, evt) != null;
    }

    private void ApplyArtim(UpperLayerAction action, bool acceptable)
    {
        switch (action)
        {
            case Ae5 or Ae8 or Ar4 or Aa1 or Aa8:
                StartArtim();
                break;
            case Ae6:
                StopArtim();
                if (!acceptable) StartArtim();
                break;
            case Ar5 or Aa2 or Aa5:
                StopArtim();
                break;
        }
    }

    private void StartArtim()
    {
        StopArtim();
        _artim = _time.CreateTimer(_ => _artimExpired?.Invoke(), null, _artimTimeout, Timeout.InfiniteTimeSpan);
    }

    private void StopArtim()
    {
        _artim?.Dispose();
        _artim = null;
    }

    public void Dispose()
    {
        lock (_gate) StopArtim();
    }
}

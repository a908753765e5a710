using System.Collections.Frozen;
using static MedNode.Dicom.Network.UpperLayer.UpperLayerAction;
using static MedNode.Dicom.Network.UpperLayer.UpperLayerEvent;
using static MedNode.Dicom.Network.UpperLayer.UpperLayerState;

namespace MedNode.Dicom.Network.UpperLayer;

/// <summary>
/// PS3.8 §9.2.3, Table 9-10 "DICOM Upper Layer Protocol State Transition Table", row by row. A (state, event)
/// pair that is absent is an empty cell of the table: the event cannot happen in that state.
/// </summary>
public static class StateTransitionTable
{
    private static readonly UpperLayerState[] Sta3To12 = [Sta3, Sta5, Sta6, Sta7, Sta8, Sta9, Sta10, Sta11, Sta12];

    private static readonly FrozenDictionary<(UpperLayerState, UpperLayerEvent), UpperLayerAction> Table = Build().ToFrozenDictionary();

    /// <summary>Every cell of Table 9-10 that holds an action.</summary>
    public static IEnumerable<(UpperLayerState State, UpperLayerEvent Event, UpperLayerAction Action)> Entries =>
        Table.Select(kv => (kv.Key.Item1, kv.Key.Item2, kv.Value));

    /// <summary>The action for <paramref name="evt"/> in <paramref name="state"/>, or null for an empty cell.</summary>
    public static UpperLayerAction? Lookup(UpperLayerState state, UpperLayerEvent evt) =>
        Table.TryGetValue((state, evt), out var action) ? action : null;

    /// <summary>The state an action leads to (PS3.8 Tables 9-6 to 9-9); AE-6 and AR-8 depend on a condition.</summary>
    public static UpperLayerState NextState(UpperLayerAction action, bool associateRqAcceptable, bool isRequestor) => action switch
    {
        Ae1 => Sta4,
        Ae2 => Sta5,
        Ae3 => Sta6,
        Ae4 => Sta1,
        Ae5 => Sta2,
        Ae6 => associateRqAcceptable ? Sta3 : Sta13,
        Ae7 => Sta6,
        Ae8 => Sta13,
        Dt1 or Dt2 => Sta6,
        Ar1 => Sta7,
        Ar2 => Sta8,
        Ar3 => Sta1,
        Ar4 => Sta13,
        Ar5 => Sta1,
        Ar6 => Sta7,
        Ar7 => Sta8,
        Ar8 => isRequestor ? Sta9 : Sta10,
        Ar9 => Sta11,
        Ar10 => Sta12,
        Aa1 => Sta13,
        Aa2 or Aa3 or Aa4 or Aa5 => Sta1,
        Aa6 or Aa7 or Aa8 => Sta13,
        _ => throw new ArgumentOutOfRangeException(nameof(action)),
    };

    private static Dictionary<(UpperLayerState, UpperLayerEvent), UpperLayerAction> Build()
    {
        var t = new Dictionary<(UpperLayerState, UpperLayerEvent), UpperLayerAction>
        {
            [(Sta1, Evt1)] = Ae1,
            [(Sta4, Evt2)] = Ae2,
            [(Sta1, Evt5)] = Ae5,
            [(Sta2, Evt6)] = Ae6,
            [(Sta3, Evt7)] = Ae7,
            [(Sta3, Evt8)] = Ae8,
            [(Sta6, Evt9)] = Dt1,
            [(Sta8, Evt9)] = Ar7,
            [(Sta6, Evt11)] = Ar1,
            [(Sta8, Evt14)] = Ar4,
            [(Sta9, Evt14)] = Ar9,
            [(Sta12, Evt14)] = Ar4,
            [(Sta4, Evt15)] = Aa2,
            [(Sta2, Evt16)] = Aa2,
            [(Sta13, Evt16)] = Aa2,
            [(Sta2, Evt17)] = Aa5,
            [(Sta4, Evt17)] = Aa4,
            [(Sta13, Evt17)] = Ar5,
            [(Sta2, Evt18)] = Aa2,
            [(Sta13, Evt18)] = Aa2,
        };

        // PDUs received in Sta2 (before an A-ASSOCIATE-RQ) other than RQ and A-ABORT: AA-1.
        foreach (var e in new[] { Evt3, Evt4, Evt10, Evt12, Evt13, Evt19 }) t[(Sta2, e)] = Aa1;

        // PDUs received in Sta13 are ignored (AA-6), except an A-ASSOCIATE-RQ or an invalid PDU (AA-7).
        foreach (var e in new[] { Evt3, Evt4, Evt10, Evt12, Evt13 }) t[(Sta13, e)] = Aa6;
        t[(Sta13, Evt6)] = Aa7;
        t[(Sta13, Evt19)] = Aa7;

        foreach (var s in Sta3To12)
        {
            // Unexpected or invalid PDUs: AA-8, unless the row below names the expected action.
            foreach (var e in new[] { Evt3, Evt4, Evt6, Evt10, Evt12, Evt13, Evt19 }) t[(s, e)] = Aa8;
            t[(s, Evt15)] = Aa1;
            t[(s, Evt16)] = Aa3;
            t[(s, Evt17)] = Aa4;
        }

        t[(Sta5, Evt3)] = Ae3;
        t[(Sta5, Evt4)] = Ae4;
        t[(Sta6, Evt10)] = Dt2;
        t[(Sta7, Evt10)] = Ar6;
        t[(Sta6, Evt12)] = Ar2;
        t[(Sta7, Evt12)] = Ar8;
        t[(Sta7, Evt13)] = Ar3;
        t[(Sta10, Evt13)] = Ar10;
        t[(Sta11, Evt13)] = Ar3;
        return t;
    }
}

using MedNode.Dicom.Network.UpperLayer;
using Microsoft.Extensions.Time.Testing;

namespace MedNode.Network.Tests;

/// <summary>
/// Every cell of PS3.8 Table 9-10, transcribed here a second time, independently of the production table, in the
/// standard's own layout: one line per event, one column per state Sta1..Sta13, "-" for an empty cell.
/// Next states come from the action definitions of Tables 9-6 to 9-9.
/// </summary>
[Trait("Conformance", "PS3.8 9.2")]
public class StateTransitionTableTests
{
    private const string Table9_10 = """
        Evt1  AE-1 -    -    -    -    -    -    -    -    -     -     -     -
        Evt2  -    -    -    AE-2 -    -    -    -    -    -     -     -     -
        Evt3  -    AA-1 AA-8 -    AE-3 AA-8 AA-8 AA-8 AA-8 AA-8  AA-8  AA-8  AA-6
        Evt4  -    AA-1 AA-8 -    AE-4 AA-8 AA-8 AA-8 AA-8 AA-8  AA-8  AA-8  AA-6
        Evt5  AE-5 -    -    -    -    -    -    -    -    -     -     -     -
        Evt6  -    AE-6 AA-8 -    AA-8 AA-8 AA-8 AA-8 AA-8 AA-8  AA-8  AA-8  AA-7
        Evt7  -    -    AE-7 -    -    -    -    -    -    -     -     -     -
        Evt8  -    -    AE-8 -    -    -    -    -    -    -     -     -     -
        Evt9  -    -    -    -    -    DT-1 -    AR-7 -    -     -     -     -
        Evt10 -    AA-1 AA-8 -    AA-8 DT-2 AR-6 AA-8 AA-8 AA-8  AA-8  AA-8  AA-6
        Evt11 -    -    -    -    -    AR-1 -    -    -    -     -     -     -
        Evt12 -    AA-1 AA-8 -    AA-8 AR-2 AR-8 AA-8 AA-8 AA-8  AA-8  AA-8  AA-6
        Evt13 -    AA-1 AA-8 -    AA-8 AA-8 AR-3 AA-8 AA-8 AR-10 AR-3  AA-8  AA-6
        Evt14 -    -    -    -    -    -    -    AR-4 AR-9 -     -     AR-4  -
        Evt15 -    -    AA-1 AA-2 AA-1 AA-1 AA-1 AA-1 AA-1 AA-1  AA-1  AA-1  -
        Evt16 -    AA-2 AA-3 -    AA-3 AA-3 AA-3 AA-3 AA-3 AA-3  AA-3  AA-3  AA-2
        Evt17 -    AA-5 AA-4 AA-4 AA-4 AA-4 AA-4 AA-4 AA-4 AA-4  AA-4  AA-4  AR-5
        Evt18 -    AA-2 -    -    -    -    -    -    -    -     -     -     AA-2
        Evt19 -    AA-1 AA-8 -    AA-8 AA-8 AA-8 AA-8 AA-8 AA-8  AA-8  AA-8  AA-7
        """;

    // Tables 9-6 to 9-9; AE-6 and AR-8 are conditional and tested on their own.
    private static readonly Dictionary<string, int> NextStateOf = new()
    {
        ["AE-1"] = 4, ["AE-2"] = 5, ["AE-3"] = 6, ["AE-4"] = 1, ["AE-5"] = 2, ["AE-7"] = 6, ["AE-8"] = 13,
        ["DT-1"] = 6, ["DT-2"] = 6,
        ["AR-1"] = 7, ["AR-2"] = 8, ["AR-3"] = 1, ["AR-4"] = 13, ["AR-5"] = 1, ["AR-6"] = 7, ["AR-7"] = 8, ["AR-9"] = 11, ["AR-10"] = 12,
        ["AA-1"] = 13, ["AA-2"] = 1, ["AA-3"] = 1, ["AA-4"] = 1, ["AA-5"] = 1, ["AA-6"] = 13, ["AA-7"] = 13, ["AA-8"] = 13,
    };

    private static IEnumerable<(int State, int Event, string Action)> Cells()
    {
        foreach (var line in Table9_10.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var evt = int.Parse(cols[0][3..]);
            for (var s = 1; s <= 13; s++) yield return (s, evt, cols[s]);
        }
    }

    public static TheoryData<int, int, string> FilledCells()
    {
        var data = new TheoryData<int, int, string>();
        foreach (var (s, e, a) in Cells().Where(c => c.Action != "-")) data.Add(s, e, a);
        return data;
    }

    public static TheoryData<int, int> EmptyCells()
    {
        var data = new TheoryData<int, int>();
        foreach (var (s, e, _) in Cells().Where(c => c.Action == "-")) data.Add(s, e);
        return data;
    }

    private static string Name(UpperLayerAction a)
    {
        var s = a.ToString();
        return s[..2].ToUpperInvariant() + "-" + s[2..];
    }

    private static UpperLayerStateMachine Machine(int state, bool requestor = false) =>
        new(requestor, new FakeTimeProvider(), TimeSpan.FromSeconds(30), null, (UpperLayerState)state);

    [Fact]
    public void Transcription_HasEveryEventAndState()
    {
        Cells().Should().HaveCount(19 * 13);
        FilledCells().Count().Should().Be(StateTransitionTable.Entries.Count());
    }

    [Theory]
    [MemberData(nameof(FilledCells))]
    public void Fire_EachFilledCell_TakesTheTablesActionAndNextState(int state, int evt, string action)
    {
        using var m = Machine(state);
        var t = m.Fire((UpperLayerEvent)evt);
        Name(t.Action).Should().Be(action);
        t.From.Should().Be((UpperLayerState)state);
        if (action is not ("AE-6" or "AR-8"))
        {
            t.To.Should().Be((UpperLayerState)NextStateOf[action]);
            m.State.Should().Be((UpperLayerState)NextStateOf[action]);
        }
    }

    [Theory]
    [MemberData(nameof(EmptyCells))]
    public void Fire_EachEmptyCell_IsRefused(int state, int evt)
    {
        using var m = Machine(state);
        m.CanFire((UpperLayerEvent)evt).Should().BeFalse();
        var act = () => m.Fire((UpperLayerEvent)evt);
        act.Should().Throw<InvalidOperationException>();
        m.State.Should().Be((UpperLayerState)state);
    }

    [Theory]
    [InlineData(true, UpperLayerState.Sta3, false)]
    [InlineData(false, UpperLayerState.Sta13, true)]
    public void Fire_Ae6_AcceptableGoesToSta3_OtherwiseSta13WithArtim(bool acceptable, UpperLayerState expected, bool artimRunning)
    {
        using var m = Machine(1);
        m.Fire(UpperLayerEvent.Evt5);
        m.IsArtimRunning.Should().BeTrue("AE-5 starts ARTIM");
        var t = m.Fire(UpperLayerEvent.Evt6, acceptable);
        t.Action.Should().Be(UpperLayerAction.Ae6);
        t.To.Should().Be(expected);
        m.IsArtimRunning.Should().Be(artimRunning);
    }

    [Theory]
    [InlineData(true, UpperLayerState.Sta9)]
    [InlineData(false, UpperLayerState.Sta10)]
    public void Fire_Ar8_RequestorGoesToSta9_AcceptorToSta10(bool requestor, UpperLayerState expected)
    {
        using var m = Machine(7, requestor);
        var t = m.Fire(UpperLayerEvent.Evt12);
        t.Action.Should().Be(UpperLayerAction.Ar8);
        t.To.Should().Be(expected);
    }

    [Fact]
    public void Artim_ExpiresOnTheFakeClock_InvokesTheCallbackOnce()
    {
        var clock = new FakeTimeProvider();
        var fired = 0;
        using var m = new UpperLayerStateMachine(false, clock, TimeSpan.FromSeconds(10), () => fired++);
        m.Fire(UpperLayerEvent.Evt5);
        clock.Advance(TimeSpan.FromSeconds(9));
        fired.Should().Be(0);
        clock.Advance(TimeSpan.FromSeconds(1));
        fired.Should().Be(1);
        m.Fire(UpperLayerEvent.Evt18).Action.Should().Be(UpperLayerAction.Aa2);
        m.State.Should().Be(UpperLayerState.Sta1);
        m.IsArtimRunning.Should().BeFalse();
    }

    [Fact]
    public void Artim_StoppedByAe6_NeverFires()
    {
        var clock = new FakeTimeProvider();
        var fired = 0;
        using var m = new UpperLayerStateMachine(false, clock, TimeSpan.FromSeconds(10), () => fired++);
        m.Fire(UpperLayerEvent.Evt5);
        m.Fire(UpperLayerEvent.Evt6);
        clock.Advance(TimeSpan.FromMinutes(5));
        fired.Should().Be(0);
    }

    [Theory]
    [InlineData(8, 14)] // AR-4
    [InlineData(6, 15)] // AA-1
    [InlineData(6, 19)] // AA-8
    [InlineData(3, 8)]  // AE-8
    public void Artim_StartedByTheActionsThatSayStart(int state, int evt)
    {
        using var m = Machine(state);
        m.Fire((UpperLayerEvent)evt);
        m.IsArtimRunning.Should().BeTrue();
    }
}

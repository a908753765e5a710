using System.Diagnostics.Metrics;
using MedNode.Dicom.Network.Pdus;

namespace MedNode.Dicom.Network.Diagnostics;

/// <summary>
/// The instruments of the DIMSE listener, on the BCL's <see cref="Meter"/> so that this layer stays free of any
/// metrics library; the host bridges them to Prometheus. Names follow the OpenTelemetry convention (dotted, unit-free).
/// </summary>
public static class DicomNetworkMetrics
{
    public const string MeterName = "MedNode.Dicom.Network";

    public const string AssociationsActiveName = "mednode.dimse.associations.active";
    public const string AssociationsAcceptedName = "mednode.dimse.associations.accepted";
    public const string AssociationsRejectedName = "mednode.dimse.associations.rejected";

    /// <summary>The tag on <see cref="AssociationsRejected"/> that says why (see <see cref="RejectReason"/>).</summary>
    public const string ReasonTag = "reason";

    /// <summary>The <see cref="ReasonTag"/> of a connection refused in its TLS handshake (PS3.15 Annex B.10), before any A-ASSOCIATE-RQ.</summary>
    public const string TlsHandshakeFailedReason = "tls-handshake-failed";

    private static readonly Meter Meter = new(MeterName);

    /// <summary>Associations established and not yet ended.</summary>
    public static UpDownCounter<long> AssociationsActive { get; } = Meter.CreateUpDownCounter<long>(AssociationsActiveName, "{association}", "DIMSE associations open now");

    /// <summary>Associations accepted (A-ASSOCIATE-AC sent).</summary>
    public static Counter<long> AssociationsAccepted { get; } = Meter.CreateCounter<long>(AssociationsAcceptedName, "{association}", "DIMSE associations accepted");

    /// <summary>Associations this node rejected (A-ASSOCIATE-RJ sent), tagged with <see cref="ReasonTag"/>.</summary>
    public static Counter<long> AssociationsRejected { get; } = Meter.CreateCounter<long>(AssociationsRejectedName, "{association}", "DIMSE associations rejected by this node");

    /// <summary>A stable, low-cardinality name for the source and reason of an A-ASSOCIATE-RJ (PS3.8 Table 9-21).</summary>
    public static string RejectReason(AAssociateRj reject) => (reject.Source, (byte)reject.Reason) switch
    {
        (AssociateRejectSource.ServiceUser, 1) => "no-reason-given",
        (AssociateRejectSource.ServiceUser, 2) => "application-context-name-not-supported",
        (AssociateRejectSource.ServiceUser, 3) => "calling-ae-title-not-recognized",
        (AssociateRejectSource.ServiceUser, 7) => "called-ae-title-not-recognized",
        (AssociateRejectSource.ServiceProviderAcse, 2) => "protocol-version-not-supported",
        (AssociateRejectSource.ServiceProviderAcse, _) => "acse-no-reason-given",
        (AssociateRejectSource.ServiceProviderPresentation, 1) => "temporary-congestion",
        (AssociateRejectSource.ServiceProviderPresentation, 2) => "local-limit-exceeded",
        _ => "other",
    };
}

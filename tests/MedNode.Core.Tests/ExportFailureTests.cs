using MedNode.Core.Export;
using MedNode.Dicom.Network;
using MedNode.Dicom.Network.Pdus;

namespace MedNode.Core.Tests;

public class ExportFailureTests
{
    [Theory]
    [InlineData(0xA700, ExportFailureKind.Transient)]
    [InlineData(0xA7FF, ExportFailureKind.Transient)]
    [InlineData(0x0213, ExportFailureKind.Transient)]
    [InlineData(0xA900, ExportFailureKind.Permanent)]
    [InlineData(0xC000, ExportFailureKind.Permanent)]
    [InlineData(0x0122, ExportFailureKind.Permanent)]
    public void DimseStatus_IsClassified(int status, ExportFailureKind expected) =>
        ExportFailureClassifier.FromDimseStatus((ushort)status).Should().Be(expected);

    [Theory]
    [InlineData(400, ExportFailureKind.Permanent)]
    [InlineData(401, ExportFailureKind.Permanent)]
    [InlineData(409, ExportFailureKind.Permanent)]
    [InlineData(408, ExportFailureKind.Transient)]
    [InlineData(429, ExportFailureKind.Transient)]
    [InlineData(503, ExportFailureKind.Transient)]
    public void HttpStatus_IsClassified(int status, ExportFailureKind expected) =>
        ExportFailureClassifier.FromHttpStatus(status).Should().Be(expected);

    [Fact]
    public void AssociationReject_PermanentAndTransient_AreKeptApart()
    {
        var permanent = new AssociationRejectedException(new AAssociateRj(AssociateRejectResult.RejectedPermanent, AssociateRejectSource.ServiceUser, AssociateRejectReason.CallingAeTitleNotRecognized), true);
        var transient = new AssociationRejectedException(new AAssociateRj(AssociateRejectResult.RejectedTransient, AssociateRejectSource.ServiceProviderPresentation, AssociateRejectReason.LocalLimitExceeded), true);
        ExportFailureClassifier.FromException(permanent).Should().Be(ExportFailureKind.Permanent);
        ExportFailureClassifier.FromException(transient).Should().Be(ExportFailureKind.Transient);
        ExportFailureClassifier.FromException(new System.Net.Sockets.SocketException(111)).Should().Be(ExportFailureKind.Transient);
    }

    [Fact]
    public void Backoff_GrowsExponentially_IsCapped_AndJittered()
    {
        var low = new ExportBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(5), () => 0.0);
        var high = new ExportBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(5), () => 1.0);
        high.Delay(1).Should().Be(TimeSpan.FromSeconds(2));
        high.Delay(4).Should().Be(TimeSpan.FromSeconds(16));
        low.Delay(4).Should().Be(TimeSpan.FromSeconds(8));
        high.Delay(30).Should().Be(TimeSpan.FromMinutes(5));
        var act = () => high.Delay(0);
        act.Should().Throw<ArgumentOutOfRangeException>();
    }
}

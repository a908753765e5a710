using MedNode.Core.Admin;
using MedNode.Core.ApplicationEntities;
using MedNode.Dicom.Network.Server;

namespace MedNode.Core.Tests;

/// <summary>The remote AE registry as the DIMSE listener sees it: the Commitment permission and the report destinations.</summary>
public class ApplicationEntityCatalogTests
{
    [Fact]
    public async Task Load_StateStoredBeforeTheCommitmentPermission_GrantsItToEveryRemoteAe_AsStorageCommitmentWasOpenThen()
    {
        var store = new InMemoryAdminStateStore();
        // Written by the catalog before the Commitment permission existed: no version.
        await store.WriteAsync(ApplicationEntityCatalog.StateKey, """
            {"local":[{"aeTitle":"MEDNODE"}],"remote":[{"aeTitle":"PACS","host":"127.0.0.1","port":104,"permissions":["Echo","Store"]},{"aeTitle":"CT1","host":null,"port":null,"permissions":[]}]}
            """, CancellationToken.None);
        var catalog = new ApplicationEntityCatalog([new LocalAe("MEDNODE")], [], requireKnownPeers: true, store);

        (await catalog.LoadAsync(CancellationToken.None)).Should().BeTrue();

        catalog.FindRemote("PACS")!.Permissions.Should().BeEquivalentTo([AePermission.Echo, AePermission.Store, AePermission.Commitment]);
        catalog.FindRemote("CT1")!.Permissions.Should().BeEquivalentTo([AePermission.Commitment]);
        catalog.ToServerAccess().Peers.Single(p => p.AeTitle == "PACS").Services.Should().Be(DimseServices.Echo | DimseServices.Store | DimseServices.Commitment);
    }

    [Fact]
    public async Task Load_StateStoredWithTheCommitmentPermission_IsTakenAsStored_AndSurvivesAnotherLoad()
    {
        var store = new InMemoryAdminStateStore();
        var writer = new ApplicationEntityCatalog([new LocalAe("MEDNODE")], [], requireKnownPeers: true, store);
        (await writer.PutRemoteAsync(new RemoteAe("PACS", "127.0.0.1", 104, [AePermission.Echo]), CancellationToken.None)).Should().BeEmpty();
        (await writer.PutRemoteAsync(new RemoteAe("RIS", "127.0.0.1", 105, [AePermission.Commitment]), CancellationToken.None)).Should().BeEmpty();

        var reader = new ApplicationEntityCatalog([new LocalAe("MEDNODE")], [], requireKnownPeers: true, store);
        (await reader.LoadAsync(CancellationToken.None)).Should().BeTrue();

        reader.FindRemote("PACS")!.Permissions.Should().Equal(AePermission.Echo);
        reader.FindRemote("RIS")!.Permissions.Should().Equal(AePermission.Commitment);
        var access = reader.ToServerAccess();
        access.Peers.Single(p => p.AeTitle == "PACS").Services.Should().NotHaveFlag(DimseServices.Commitment);
        access.Peers.Single(p => p.AeTitle == "RIS").Services.Should().Be(DimseServices.Commitment);
    }

    [Fact]
    public async Task ToServerAccess_ReportDestinations_AreTheRemoteAesWithHostAndPort_AsLastChanged()
    {
        var catalog = new ApplicationEntityCatalog([new LocalAe("MEDNODE")],
            [new RemoteAe("ORTHANC", "127.0.0.1", 4242, [AePermission.Commitment]), new RemoteAe("NOPORT", "127.0.0.1", null, [AePermission.Commitment])],
            requireKnownPeers: true, new InMemoryAdminStateStore());
        catalog.ToServerAccess().FindDestination("ORTHANC").Should().Be(new DicomPeer("ORTHANC", "127.0.0.1", 4242, DimseServices.Commitment));
        catalog.ToServerAccess().FindDestination("NOPORT").Should().BeNull("without a port the report goes back on the requester's association");

        (await catalog.PutRemoteAsync(new RemoteAe("ORTHANC", "127.0.0.1", 4343, [AePermission.Commitment]), CancellationToken.None)).Should().BeEmpty();
        catalog.ToServerAccess().FindDestination("ORTHANC")!.Port.Should().Be(4343);
    }
}

namespace MedNode.Dicom.Network.UpperLayer;

/// <summary>States of the DICOM upper layer state machine (PS3.8 §9.2.1, Tables 9-1 to 9-5).</summary>
public enum UpperLayerState
{
    /// <summary>Idle.</summary>
    Sta1 = 1,
    /// <summary>Transport connection open (awaiting A-ASSOCIATE-RQ PDU).</summary>
    Sta2,
    /// <summary>Awaiting local A-ASSOCIATE response primitive (from local user).</summary>
    Sta3,
    /// <summary>Awaiting transport connection opening to complete (from local transport service).</summary>
    Sta4,
    /// <summary>Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU.</summary>
    Sta5,
    /// <summary>Association established and ready for data transfer.</summary>
    Sta6,
    /// <summary>Awaiting A-RELEASE-RP PDU.</summary>
    Sta7,
    /// <summary>Awaiting local A-RELEASE response primitive (from local user).</summary>
    Sta8,
    /// <summary>Release collision requestor side; awaiting A-RELEASE response (from local user).</summary>
    Sta9,
    /// <summary>Release collision acceptor side; awaiting A-RELEASE-RP PDU.</summary>
    Sta10,
    /// <summary>Release collision requestor side; awaiting A-RELEASE-RP PDU.</summary>
    Sta11,
    /// <summary>Release collision acceptor side; awaiting A-RELEASE response primitive (from local user).</summary>
    Sta12,
    /// <summary>Awaiting transport connection close indication (association no longer exists).</summary>
    Sta13,
}

/// <summary>Events of the DICOM upper layer state machine (PS3.8 §9.2.3, Table 9-10).</summary>
public enum UpperLayerEvent
{
    /// <summary>A-ASSOCIATE request (local user).</summary>
    Evt1 = 1,
    /// <summary>Transport connect confirmation (local transport service).</summary>
    Evt2,
    /// <summary>A-ASSOCIATE-AC PDU (received on transport connection).</summary>
    Evt3,
    /// <summary>A-ASSOCIATE-RJ PDU (received on transport connection).</summary>
    Evt4,
    /// <summary>Transport connection indication (local transport service).</summary>
    Evt5,
    /// <summary>A-ASSOCIATE-RQ PDU (received on transport connection).</summary>
    Evt6,
    /// <summary>A-ASSOCIATE response primitive (accept).</summary>
    Evt7,
    /// <summary>A-ASSOCIATE response primitive (reject).</summary>
    Evt8,
    /// <summary>P-DATA request primitive.</summary>
    Evt9,
    /// <summary>P-DATA-TF PDU.</summary>
    Evt10,
    /// <summary>A-RELEASE request primitive.</summary>
    Evt11,
    /// <summary>A-RELEASE-RQ PDU (received on open transport connection).</summary>
    Evt12,
    /// <summary>A-RELEASE-RP PDU (received on transport connection).</summary>
    Evt13,
    /// <summary>A-RELEASE response primitive.</summary>
    Evt14,
    /// <summary>A-ABORT request primitive.</summary>
    Evt15,
    /// <summary>A-ABORT PDU (received on open transport connection).</summary>
    Evt16,
    /// <summary>Transport connection closed indication (local transport service).</summary>
    Evt17,
    /// <summary>ARTIM timer expired (association reject/release timer).</summary>
    Evt18,
    /// <summary>Unrecognized or invalid PDU received.</summary>
    Evt19,
}

/// <summary>Actions of the DICOM upper layer state machine (PS3.8 §9.2.2, Tables 9-6 to 9-9).</summary>
public enum UpperLayerAction
{
    /// <summary>Issue TRANSPORT CONNECT request primitive to local transport service. Next state Sta4.</summary>
    Ae1,
    /// <summary>Send A-ASSOCIATE-RQ PDU. Next state Sta5.</summary>
    Ae2,
    /// <summary>Issue A-ASSOCIATE confirmation (accept) primitive. Next state Sta6.</summary>
    Ae3,
    /// <summary>Issue A-ASSOCIATE confirmation (reject) primitive and close transport connection. Next state Sta1.</summary>
    Ae4,
    /// <summary>Issue transport connection response primitive; start ARTIM timer. Next state Sta2.</summary>
    Ae5,
    /// <summary>Stop ARTIM timer; if the A-ASSOCIATE-RQ is acceptable issue A-ASSOCIATE indication (Sta3), otherwise send A-ASSOCIATE-RJ and start ARTIM (Sta13).</summary>
    Ae6,
    /// <summary>Send A-ASSOCIATE-AC PDU. Next state Sta6.</summary>
    Ae7,
    /// <summary>Send A-ASSOCIATE-RJ PDU and start ARTIM timer. Next state Sta13.</summary>
    Ae8,
    /// <summary>Send P-DATA-TF PDU. Next state Sta6.</summary>
    Dt1,
    /// <summary>Send P-DATA indication primitive. Next state Sta6.</summary>
    Dt2,
    /// <summary>Send A-RELEASE-RQ PDU. Next state Sta7.</summary>
    Ar1,
    /// <summary>Issue A-RELEASE indication primitive. Next state Sta8.</summary>
    Ar2,
    /// <summary>Issue A-RELEASE confirmation primitive and close transport connection. Next state Sta1.</summary>
    Ar3,
    /// <summary>Issue A-RELEASE-RP PDU and start ARTIM timer. Next state Sta13.</summary>
    Ar4,
    /// <summary>Stop ARTIM timer. Next state Sta1.</summary>
    Ar5,
    /// <summary>Issue P-DATA indication. Next state Sta7.</summary>
    Ar6,
    /// <summary>Issue P-DATA-TF PDU. Next state Sta8.</summary>
    Ar7,
    /// <summary>Issue A-RELEASE indication (release collision): Sta9 for the association-requestor, Sta10 otherwise.</summary>
    Ar8,
    /// <summary>Send A-RELEASE-RP PDU. Next state Sta11.</summary>
    Ar9,
    /// <summary>Issue A-RELEASE confirmation primitive. Next state Sta12.</summary>
    Ar10,
    /// <summary>Send A-ABORT PDU (service-user source) and start (or restart) ARTIM timer. Next state Sta13.</summary>
    Aa1,
    /// <summary>Stop ARTIM timer if running; close transport connection. Next state Sta1.</summary>
    Aa2,
    /// <summary>Issue A-ABORT (service-user initiated) or A-P-ABORT (service-provider initiated) indication and close transport connection. Next state Sta1.</summary>
    Aa3,
    /// <summary>Issue A-P-ABORT indication primitive. Next state Sta1.</summary>
    Aa4,
    /// <summary>Stop ARTIM timer. Next state Sta1.</summary>
    Aa5,
    /// <summary>Ignore PDU. Next state Sta13.</summary>
    Aa6,
    /// <summary>Send A-ABORT PDU. Next state Sta13.</summary>
    Aa7,
    /// <summary>Send A-ABORT PDU (service-provider source), issue an A-P-ABORT indication and start ARTIM timer. Next state Sta13.</summary>
    Aa8,
}

namespace MedNode.Dicom.Network.Dimse;

/// <summary>The kind of a status value (PS3.7 Annex C).</summary>
public enum DimseStatusCategory
{
    Success,
    Warning,
    Failure,
    Cancel,
    Pending,
}

/// <summary>
/// Status (0000,0900) values with their meaning in PS3.7 Annex C and the service classes of PS3.4 (Verification
/// Annex A, Storage Annex B.2.3, Query/Retrieve Annex C.4). Ranges such as A7xx are given by their first value.
/// </summary>
public static class DimseStatus
{
    // PS3.7 C.1: success.
    public const ushort Success = 0x0000;

    // PS3.7 C.2 and PS3.4 B.2.3: warnings.
    /// <summary>C-STORE: Coercion of Data Elements (PS3.4 Table B.2-1).</summary>
    public const ushort CoercionOfDataElements = 0xB000;
    /// <summary>C-STORE: Data Set does not match SOP Class (warning, PS3.4 Table B.2-1).</summary>
    public const ushort DataSetDoesNotMatchSopClassWarning = 0xB007;
    /// <summary>C-STORE: Elements Discarded (PS3.4 Table B.2-1).</summary>
    public const ushort ElementsDiscarded = 0xB006;
    /// <summary>C-MOVE/C-GET: Sub-operations Complete – One or more Failures or Warnings (PS3.4 C.4.2.1.5).</summary>
    public const ushort SubOperationsCompleteWithFailures = 0xB000;
    /// <summary>N-service: Attribute List Error (PS3.7 C.4.2).</summary>
    public const ushort AttributeListError = 0x0107;
    /// <summary>N-service: Attribute Value Out of Range (PS3.7 C.4.3).</summary>
    public const ushort AttributeValueOutOfRange = 0x0116;

    // PS3.7 C.3 and C.4, PS3.4 B.2.3 and C.4: failures.
    /// <summary>Refused: Out of Resources (PS3.4 Table B.2-1, range A7xx).</summary>
    public const ushort OutOfResources = 0xA700;
    /// <summary>C-FIND/C-MOVE/C-GET: Refused: Out of Resources (PS3.4 C.4.1.1.4).</summary>
    public const ushort OutOfResourcesUnableToCalculate = 0xA701;
    /// <summary>C-MOVE/C-GET: Refused: Out of Resources – Unable to perform sub-operations (PS3.4 C.4.2.1.5).</summary>
    public const ushort OutOfResourcesUnableToPerformSubOperations = 0xA702;
    /// <summary>C-MOVE: Refused: Move Destination unknown (PS3.4 C.4.2.1.5).</summary>
    public const ushort MoveDestinationUnknown = 0xA801;
    /// <summary>Error: Data Set does not match SOP Class (PS3.4 Table B.2-1, range A9xx).</summary>
    public const ushort DataSetDoesNotMatchSopClassError = 0xA900;
    /// <summary>Error: Cannot understand (PS3.4 Table B.2-1, range Cxxx).</summary>
    public const ushort CannotUnderstand = 0xC000;
    /// <summary>C-FIND: Identifier does not match SOP Class (PS3.4 C.4.1.1.4).</summary>
    public const ushort IdentifierDoesNotMatchSopClass = 0xA900;
    /// <summary>C-FIND/C-MOVE/C-GET: Unable to process (PS3.4 C.4.1.1.4, range Cxxx).</summary>
    public const ushort UnableToProcess = 0xC000;
    /// <summary>Processing failure (PS3.7 C.4.6).</summary>
    public const ushort ProcessingFailure = 0x0110;
    /// <summary>Duplicate SOP Instance (PS3.7 C.4.12).</summary>
    public const ushort DuplicateSopInstance = 0x0111;
    /// <summary>No such SOP Instance (PS3.7 C.4.15).</summary>
    public const ushort NoSuchSopInstance = 0x0112;
    /// <summary>No such event type (PS3.7 C.4.14).</summary>
    public const ushort NoSuchEventType = 0x0113;
    /// <summary>No such argument (PS3.7 C.4.13).</summary>
    public const ushort NoSuchArgument = 0x0114;
    /// <summary>Invalid argument value (PS3.7 C.4.9).</summary>
    public const ushort InvalidArgumentValue = 0x0115;
    /// <summary>Invalid object instance (PS3.7 C.4.10).</summary>
    public const ushort InvalidObjectInstance = 0x0117;
    /// <summary>No such SOP Class (PS3.7 C.4.16).</summary>
    public const ushort NoSuchSopClass = 0x0118;
    /// <summary>Class-instance conflict (PS3.7 C.4.17).</summary>
    public const ushort ClassInstanceConflict = 0x0119;
    /// <summary>Missing attribute (PS3.7 C.4.18).</summary>
    public const ushort MissingAttribute = 0x0120;
    /// <summary>Missing attribute value (PS3.7 C.4.19).</summary>
    public const ushort MissingAttributeValue = 0x0121;
    /// <summary>Refused: SOP Class not supported (PS3.7 C.5.1).</summary>
    public const ushort SopClassNotSupported = 0x0122;
    /// <summary>No such action (PS3.7 C.4.20).</summary>
    public const ushort NoSuchAction = 0x0123;
    /// <summary>Refused: not authorized (PS3.7 C.5.2).</summary>
    public const ushort NotAuthorized = 0x0124;
    /// <summary>Duplicate invocation (PS3.7 C.5.3).</summary>
    public const ushort DuplicateInvocation = 0x0210;
    /// <summary>Unrecognized operation (PS3.7 C.5.4).</summary>
    public const ushort UnrecognizedOperation = 0x0211;
    /// <summary>Mistyped argument (PS3.7 C.5.5).</summary>
    public const ushort MistypedArgument = 0x0212;
    /// <summary>Resource limitation (PS3.7 C.5.6).</summary>
    public const ushort ResourceLimitation = 0x0213;

    // PS3.7 C.6 and PS3.4 C.4: cancel and pending.
    public const ushort Cancel = 0xFE00;
    /// <summary>Pending: matches are continuing (PS3.4 C.4.1.1.4).</summary>
    public const ushort Pending = 0xFF00;
    /// <summary>Pending: matches are continuing – optional keys not supported (PS3.4 C.4.1.1.4).</summary>
    public const ushort PendingWarning = 0xFF01;

    /// <summary>The category of a status value (PS3.7 Annex C, Table C-1 and the ranges of PS3.4).</summary>
    public static DimseStatusCategory Categorize(ushort status) => status switch
    {
        Success => DimseStatusCategory.Success,
        Cancel => DimseStatusCategory.Cancel,
        Pending or PendingWarning => DimseStatusCategory.Pending,
        0x0001 or 0x0107 or 0x0116 or (>= 0xB000 and <= 0xBFFF) => DimseStatusCategory.Warning,
        _ => DimseStatusCategory.Failure,
    };
}

namespace MedNode.Core.Imaging.Nifti;

/// <summary>The NIfTI-1 <c>datatype</c> codes this reader supports (nifti1.h, "DT_" constants).</summary>
public enum NiftiDataType : short
{
    UInt8 = 2,
    Int16 = 4,
    Int32 = 8,
    Float32 = 16,
    Float64 = 64,
    Int8 = 256,
    UInt16 = 512,
    UInt32 = 768,
}

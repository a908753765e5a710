namespace MedNode.Dicom.Imaging;

/// <summary>The Image Pixel module attributes (PS3.3 C.7.6.3) that describe one frame.</summary>
public sealed record FrameInfo(
    int Rows,
    int Columns,
    int SamplesPerPixel,
    int BitsAllocated,
    int BitsStored,
    int HighBit,
    int PixelRepresentation,
    int PlanarConfiguration,
    string PhotometricInterpretation)
{
    public bool IsSigned => PixelRepresentation == 1;

    /// <summary>Bytes of one native frame: Rows × Columns × Samples × BitsAllocated / 8 (rounded up for 1-bit data).
    /// For YBR_FULL_422/YBR_PARTIAL_422 native data, 2 samples per pixel are stored (PS3.3 C.7.6.3.1.2).</summary>
    public long FrameLength
    {
        get
        {
            long samples = PhotometricInterpretation is "YBR_FULL_422" or "YBR_PARTIAL_422" && SamplesPerPixel == 3 ? 2 : SamplesPerPixel;
            long bits = (long)Rows * Columns * samples * BitsAllocated;
            return (bits + 7) / 8;
        }
    }
}

using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Measurements;

/// <summary>
/// RECIST 1.1 style diameters on the acquisition plane: the longest in-plane diameter of the lesion over all slices
/// and, on that slice, the longest chord perpendicular to it. Endpoints are voxel centres, in patient coordinates (LPS, mm).
/// </summary>
/// <param name="SliceIndex">Slice (z index in the grid the mask or labelling was given in) holding the long axis.</param>
public sealed record RecistMeasurement(int SliceIndex, double LongAxisMm, Vec3 LongAxisFrom, Vec3 LongAxisTo, double ShortAxisMm, Vec3 ShortAxisFrom, Vec3 ShortAxisTo);

/// <summary>Statistics of the image values inside the mask (e.g. HU); the standard deviation is the population one (1/N), as IBSI's variance.</summary>
public sealed record IntensityStatistics(double Mean, double Minimum, double Maximum, double StandardDeviation);

using MedNode.Analysis.Volumes;

namespace MedNode.Analysis.Measurements;

/// <summary>Which estimate <see cref="LesionMeasurements.VolumePartial"/> holds.</summary>
public static class VolumePartialMethods
{
    /// <summary>The model's probabilities summed over the lesion and its shell (<see cref="PartialVolume"/>).</summary>
    public const string ProbabilitySum = "ProbabilitySum";

    /// <summary>A partial-volume ellipsoid fitted to the image (<see cref="EllipsoidFit"/>), accepted by <see cref="SmallLesionVolume.Check"/>.</summary>
    public const string EllipsoidFit = "EllipsoidFit";
}

/// <summary>
/// The volume reported for a lesion: for a small lesion, an ellipsoid fitted to the image where the fit is trustworthy;
/// otherwise the probability sum. With σ = 10 HU noise, the plain sum over a lesion 5 mm across and its 3 mm shell has a
/// 1σ noise of about 3.4 % of the volume; the fitted ellipsoid pools the same voxels through an 11-number model (centre,
/// semi-axes, orientation, background, contrast). MODEL_CARD.md ("Partial-volume estimate") gives the measured errors of
/// both.
/// </summary>
public static class SmallLesionVolume
{
    /// <summary>Lesions up to this maximum 3D diameter (mm) are fitted.</summary>
    public const double MaxDiameterMm = 20;

    /// <summary>The image box around the lesion that the fit uses (mm beyond the component's box).</summary>
    public const double MarginMm = 3;

    /// <summary>
    /// Largest accepted mean squared residual at the lesion (inside the ellipsoid, on its boundary or within a voxel of
    /// the mask) over the background's. On the development phantoms (PhantomSweepTests.RandomSpec seeds 11–20, 60
    /// lesions) accepted fits measured 0.90–1.40 and fits spoiled by air at the box's edge 67–85; the non-ellipsoidal
    /// lesions of EllipsoidFitTests measured 2.0–3.4.
    /// </summary>
    public const double MaxVarianceRatio = 1.7;

    /// <summary>
    /// The lesion's volume (mm³) and the method that gave it: the fit when the lesion's maximum 3D diameter is at most
    /// <see cref="MaxDiameterMm"/> and <see cref="Check"/> accepts the fit, else <paramref name="probabilitySum"/>.
    /// Voxels outside the lesion's mask at or above <paramref name="threshold"/> belong to other lesions and are left out.
    /// </summary>
    public static (double Volume, string Method, EllipsoidFitResult? Fit) Estimate(
        Volume<float> image, Volume<float> probability, double threshold, Volume<byte> mask, VoxelBox box, double maximum3DDiameter, double probabilitySum)
    {
        ArgumentNullException.ThrowIfNull(probability);
        if (!(maximum3DDiameter <= MaxDiameterMm)) return (probabilitySum, VolumePartialMethods.ProbabilitySum, null);
        var fit = EllipsoidFit.Fit(image, mask, box, MarginMm, (x, y, z) => probability[x, y, z] >= threshold);
        return fit != null && Check(fit, box, image.Geometry.Spacing, probabilitySum) == null
            ? (fit.Volume, VolumePartialMethods.EllipsoidFit, fit)
            : (probabilitySum, VolumePartialMethods.ProbabilitySum, fit);
    }

    /// <summary>
    /// Why a fit is not to be trusted, or null when it is: it did not converge; the residuals at the lesion exceed the
    /// background noise (<see cref="MaxVarianceRatio"/>); the contrast is not at least 3 σ; a semi-axis is under half
    /// the smallest voxel spacing or the ellipsoid reaches beyond the component's box by more than two voxels; the centre
    /// is outside the box; or the volume is outside 0.75–1.33 times the <paramref name="reference"/> estimate.
    /// </summary>
    public static string? Check(EllipsoidFitResult fit, VoxelBox box, Vec3 spacing, double reference)
    {
        ArgumentNullException.ThrowIfNull(fit);
        if (!fit.Converged) return "not converged";
        if (!(fit.NearToBackgroundVarianceRatio <= MaxVarianceRatio)) return $"residual variance ratio {fit.NearToBackgroundVarianceRatio:F2}";
        if (!(fit.Contrast >= 3 * fit.BackgroundSigma)) return "contrast under 3 σ";
        var semi = new[] { fit.SemiAxes.X, fit.SemiAxes.Y, fit.SemiAxes.Z };
        if (semi.Min() < 0.5 * Math.Min(spacing.X, Math.Min(spacing.Y, spacing.Z))) return "semi-axis under half a voxel";
        // The ellipsoid's half-extent along each grid axis: sqrt(Σ_k (a_k·u_k,i)²).
        double[] halfBox = [box.SizeX * spacing.X / 2, box.SizeY * spacing.Y / 2, box.SizeZ * spacing.Z / 2];
        double[] sp = [spacing.X, spacing.Y, spacing.Z];
        double[] centre = [(box.MinX + box.MaxX) * spacing.X / 2, (box.MinY + box.MaxY) * spacing.Y / 2, (box.MinZ + box.MaxZ) * spacing.Z / 2];
        double[] fitCentre = [fit.Centre.X, fit.Centre.Y, fit.Centre.Z];
        for (var i = 0; i < 3; i++)
        {
            double extent = 0;
            for (var k = 0; k < 3; k++)
            {
                double[] u = [fit.Axes[k].X, fit.Axes[k].Y, fit.Axes[k].Z];
                extent += semi[k] * semi[k] * u[i] * u[i];
            }
            if (Math.Sqrt(extent) > halfBox[i] + (2 * sp[i])) return "ellipsoid beyond the component's box";
            if (Math.Abs(fitCentre[i] - centre[i]) > halfBox[i]) return "centre outside the component's box";
        }
        var ratio = fit.Volume / reference;
        if (!(ratio >= 0.75 && ratio <= 1.0 / 0.75)) return $"volume {ratio:F2} times the probability sum";
        return null;
    }
}

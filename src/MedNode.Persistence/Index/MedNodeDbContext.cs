using Microsoft.EntityFrameworkCore;

namespace MedNode.Persistence.Index;

/// <summary>The index database: instances (denormalised) with study and series aggregate tables.</summary>
public sealed class MedNodeDbContext(DbContextOptions<MedNodeDbContext> options) : DbContext(options)
{
    public DbSet<InstanceEntity> Instances => Set<InstanceEntity>();

    public DbSet<StudyEntity> Studies => Set<StudyEntity>();

    public DbSet<SeriesEntity> Series => Set<SeriesEntity>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var i = modelBuilder.Entity<InstanceEntity>();
        i.ToTable("Instance");
        i.HasKey(e => e.SopInstanceUid);
        foreach (var p in new[] { "SopInstanceUid", "SopClassUid", "SeriesInstanceUid", "StudyInstanceUid", "TransferSyntaxUid" })
            i.Property(p).HasMaxLength(64);
        i.HasIndex(e => e.StudyInstanceUid);
        i.HasIndex(e => e.SeriesInstanceUid);
        i.HasIndex(e => e.PatientId);
        i.HasIndex(e => e.PatientNameKey);
        i.HasIndex(e => e.StudyDate);
        i.HasIndex(e => e.AccessionNumber);
        if (Database.IsSqlite())
            i.Property(e => e.ReceivedAt).HasConversion(v => v.ToUnixTimeMilliseconds(), v => DateTimeOffset.FromUnixTimeMilliseconds(v));

        var s = modelBuilder.Entity<StudyEntity>();
        s.ToTable("Study");
        s.HasKey(e => e.StudyInstanceUid);
        s.HasIndex(e => e.PatientId);

        var se = modelBuilder.Entity<SeriesEntity>();
        se.ToTable("Series");
        se.HasKey(e => e.SeriesInstanceUid);
        se.HasIndex(e => e.StudyInstanceUid);
    }
}

using MedNode.Persistence.Loop;
using Microsoft.EntityFrameworkCore;

namespace MedNode.Persistence.Index;

/// <summary>
/// The index database: instances (denormalised) with study and series aggregate tables. Abstract: each provider has its
/// own subclass (<see cref="SqliteMedNodeDbContext"/>, <see cref="PostgresMedNodeDbContext"/>) so that each owns one
/// migration set and one model snapshot (Migrations/Sqlite, Migrations/Postgres).
/// </summary>
/// <remarks>The constructors take the provider subclass's own options so that <see cref="MedNodeDbContextFactory"/> can pool them.</remarks>
public abstract class MedNodeDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<InstanceEntity> Instances => Set<InstanceEntity>();

    public DbSet<StudyEntity> Studies => Set<StudyEntity>();

    public DbSet<SeriesEntity> Series => Set<SeriesEntity>();

    public DbSet<JobEntity> Jobs => Set<JobEntity>();

    public DbSet<OutboxEntity> Outbox => Set<OutboxEntity>();

    public DbSet<AuditEntity> Audit => Set<AuditEntity>();

    public DbSet<Admin.AdminStateEntity> AdminState => Set<Admin.AdminStateEntity>();

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

        var s = modelBuilder.Entity<StudyEntity>();
        s.ToTable("Study");
        s.HasKey(e => e.StudyInstanceUid);
        s.HasIndex(e => e.PatientId);

        var se = modelBuilder.Entity<SeriesEntity>();
        se.ToTable("Series");
        se.HasKey(e => e.SeriesInstanceUid);
        se.HasIndex(e => e.StudyInstanceUid);

        var j = modelBuilder.Entity<JobEntity>();
        j.ToTable("Job");
        j.HasKey(e => e.Id);
        j.HasIndex(e => e.IdempotencyKey).IsUnique();
        j.HasIndex(e => new { e.State, e.CreatedAtMs });
        j.HasIndex(e => e.UnitKey);
        j.HasIndex(e => e.StudyInstanceUid);

        var o = modelBuilder.Entity<OutboxEntity>();
        o.ToTable("Outbox");
        o.HasKey(e => e.Id);
        o.HasIndex(e => new { e.Destination, e.SopInstanceUid }).IsUnique();
        o.HasIndex(e => new { e.State, e.NextAttemptAtMs });
        o.HasIndex(e => e.JobId);
        o.HasIndex(e => e.Commitment);

        var a = modelBuilder.Entity<AuditEntity>();
        a.ToTable("Audit");
        a.HasKey(e => e.Sequence);
        a.Property(e => e.Sequence).ValueGeneratedNever();
        a.HasIndex(e => e.TimeUtcTicks);
        a.HasIndex(e => e.StudyInstanceUid);

        var st = modelBuilder.Entity<Admin.AdminStateEntity>();
        st.ToTable("AdminState");
        st.HasKey(e => e.Key);
        st.Property(e => e.Key).HasMaxLength(64);
    }
}

/// <summary>The SQLite index (embedded, the default). Times are stored as Unix milliseconds so that they sort and compare.</summary>
public sealed class SqliteMedNodeDbContext(DbContextOptions<SqliteMedNodeDbContext> options) : MedNodeDbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);
        modelBuilder.Entity<InstanceEntity>().Property(e => e.ReceivedAt)
            .HasConversion(v => v.ToUnixTimeMilliseconds(), v => DateTimeOffset.FromUnixTimeMilliseconds(v));
    }
}

/// <summary>
/// The PostgreSQL index (production). Every text column uses the <c>C</c> collation, so that comparisons, ORDER BY and
/// MIN are by code point as on SQLite (BINARY) and in <c>StringComparer.Ordinal</c>: UIDs page in the same order and
/// DA/TM ranges compare the same on both providers, whatever the server's default locale.
/// </summary>
public sealed class PostgresMedNodeDbContext(DbContextOptions<PostgresMedNodeDbContext> options) : MedNodeDbContext(options)
{
    public const string Collation = "C";

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder) =>
        configurationBuilder.Properties<string>().UseCollation(Collation);
}

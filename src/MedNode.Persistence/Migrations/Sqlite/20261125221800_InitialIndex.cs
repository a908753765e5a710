using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace MedNode.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class InitialIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Instance",
                columns: table => new
                {
                    SopInstanceUid = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    SopClassUid = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    SeriesInstanceUid = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    StudyInstanceUid = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    PatientId = table.Column<string>(type: "TEXT", nullable: false),
                    PatientName = table.Column<string>(type: "TEXT", nullable: false),
                    PatientNameKey = table.Column<string>(type: "TEXT", nullable: false),
                    PatientBirthDate = table.Column<string>(type: "TEXT", nullable: false),
                    PatientSex = table.Column<string>(type: "TEXT", nullable: false),
                    StudyDate = table.Column<string>(type: "TEXT", nullable: false),
                    StudyTime = table.Column<string>(type: "TEXT", nullable: false),
                    AccessionNumber = table.Column<string>(type: "TEXT", nullable: false),
                    StudyId = table.Column<string>(type: "TEXT", nullable: false),
                    StudyDescription = table.Column<string>(type: "TEXT", nullable: false),
                    ReferringPhysicianName = table.Column<string>(type: "TEXT", nullable: false),
                    ReferringPhysicianNameKey = table.Column<string>(type: "TEXT", nullable: false),
                    Modality = table.Column<string>(type: "TEXT", nullable: false),
                    SeriesNumber = table.Column<string>(type: "TEXT", nullable: false),
                    SeriesDescription = table.Column<string>(type: "TEXT", nullable: false),
                    BodyPartExamined = table.Column<string>(type: "TEXT", nullable: false),
                    InstanceNumber = table.Column<string>(type: "TEXT", nullable: false),
                    Rows = table.Column<int>(type: "INTEGER", nullable: true),
                    Columns = table.Column<int>(type: "INTEGER", nullable: true),
                    NumberOfFrames = table.Column<int>(type: "INTEGER", nullable: true),
                    SpecificCharacterSet = table.Column<string>(type: "TEXT", nullable: false),
                    TransferSyntaxUid = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    BlobKey = table.Column<string>(type: "TEXT", nullable: false),
                    Size = table.Column<long>(type: "INTEGER", nullable: false),
                    Sha256 = table.Column<string>(type: "TEXT", nullable: false),
                    CallingAeTitle = table.Column<string>(type: "TEXT", nullable: true),
                    Channel = table.Column<string>(type: "TEXT", nullable: true),
                    ReceivedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Instance", x => x.SopInstanceUid);
                });

            migrationBuilder.CreateTable(
                name: "Series",
                columns: table => new
                {
                    SeriesInstanceUid = table.Column<string>(type: "TEXT", nullable: false),
                    StudyInstanceUid = table.Column<string>(type: "TEXT", nullable: false),
                    NumberOfSeriesRelatedInstances = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Series", x => x.SeriesInstanceUid);
                });

            migrationBuilder.CreateTable(
                name: "Study",
                columns: table => new
                {
                    StudyInstanceUid = table.Column<string>(type: "TEXT", nullable: false),
                    PatientId = table.Column<string>(type: "TEXT", nullable: false),
                    NumberOfStudyRelatedSeries = table.Column<int>(type: "INTEGER", nullable: false),
                    NumberOfStudyRelatedInstances = table.Column<int>(type: "INTEGER", nullable: false),
                    ModalitiesInStudy = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Study", x => x.StudyInstanceUid);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Instance_AccessionNumber",
                table: "Instance",
                column: "AccessionNumber");

            migrationBuilder.CreateIndex(
                name: "IX_Instance_PatientId",
                table: "Instance",
                column: "PatientId");

            migrationBuilder.CreateIndex(
                name: "IX_Instance_PatientNameKey",
                table: "Instance",
                column: "PatientNameKey");

            migrationBuilder.CreateIndex(
                name: "IX_Instance_SeriesInstanceUid",
                table: "Instance",
                column: "SeriesInstanceUid");

            migrationBuilder.CreateIndex(
                name: "IX_Instance_StudyDate",
                table: "Instance",
                column: "StudyDate");

            migrationBuilder.CreateIndex(
                name: "IX_Instance_StudyInstanceUid",
                table: "Instance",
                column: "StudyInstanceUid");

            migrationBuilder.CreateIndex(
                name: "IX_Series_StudyInstanceUid",
                table: "Series",
                column: "StudyInstanceUid");

            migrationBuilder.CreateIndex(
                name: "IX_Study_PatientId",
                table: "Study",
                column: "PatientId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Instance");

            migrationBuilder.DropTable(
                name: "Series");

            migrationBuilder.DropTable(
                name: "Study");
        }
    }
}

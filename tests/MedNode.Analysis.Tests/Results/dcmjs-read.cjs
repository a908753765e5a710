// Reads a MedNode SEG and TID 1500 SR with dcmjs, as OHIF's viewers do, and writes what it found for the xunit test.
// usage: node dcmjs-read.cjs SOURCE_DIR SEG SR OUT_DIR   (NODE_PATH must reach dcmjs)
// Writes OUT_DIR/labelmap.bin (Uint16 LE, one label per source voxel, slices in the order of imageIds) and OUT_DIR/result.json.
"use strict";
const fs = require("fs");
const path = require("path");
const dcmjs = require("dcmjs");
const { DicomMessage, DicomMetaDictionary } = dcmjs.data;

const [srcDir, segPath, srPath, outDir] = process.argv.slice(2);
const toArrayBuffer = (b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
const read = (p) => {
  const file = DicomMessage.readFile(toArrayBuffer(fs.readFileSync(p)));
  const ds = DicomMetaDictionary.naturalizeDataset(file.dict);
  ds._meta = DicomMetaDictionary.namifyDataset(file.meta);
  return ds;
};
const arr = (x) => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

// Source images, ordered along the slice normal by their own Image Position (Patient).
const images = fs.readdirSync(srcDir).sort().map((f) => ({ id: "mednode:" + f, ds: read(path.join(srcDir, f)) }));
const iop = images[0].ds.ImageOrientationPatient.map(Number);
const normal = [iop[1] * iop[5] - iop[2] * iop[4], iop[2] * iop[3] - iop[0] * iop[5], iop[0] * iop[4] - iop[1] * iop[3]];
const along = (ds) => ds.ImagePositionPatient.map(Number).reduce((s, v, i) => s + v * normal[i], 0);
images.sort((a, b) => along(a.ds) - along(b.ds));
const byId = new Map(images.map((i) => [i.id, i.ds]));
const imageIds = images.map((i) => i.id);

// The part of a Cornerstone metadata provider that dcmjs's adapters ask for.
const provider = {
  get(type, imageId) {
    const ds = byId.get(imageId);
    if (!ds) return undefined;
    const o = ds.ImageOrientationPatient.map(Number);
    const ps = ds.PixelSpacing.map(Number);
    switch (type) {
      case "imagePlaneModule":
        return {
          rows: ds.Rows, columns: ds.Columns, rowCosines: o.slice(0, 3), columnCosines: o.slice(3, 6),
          imagePositionPatient: ds.ImagePositionPatient.map(Number), rowPixelSpacing: ps[0], columnPixelSpacing: ps[1],
          frameOfReferenceUID: ds.FrameOfReferenceUID,
        };
      case "generalSeriesModule": return { seriesInstanceUID: ds.SeriesInstanceUID, studyInstanceUID: ds.StudyInstanceUID };
      case "sopCommonModule": return { sopInstanceUID: ds.SOPInstanceUID, sopClassUID: ds.SOPClassUID };
      case "imagePixelModule": return { rows: ds.Rows, columns: ds.Columns };
      case "instance": return ds;
      case "frameNumber": return undefined;
      default: return undefined;
    }
  },
};

// SEG → labelmap on the source stack (dcmjs's Cornerstone adapter, the path OHIF's legacy viewer takes).
const segBuffer = toArrayBuffer(fs.readFileSync(segPath));
const seg = dcmjs.adapters.Cornerstone.Segmentation.generateToolState(imageIds, segBuffer, provider);
fs.writeFileSync(path.join(outDir, "labelmap.bin"), Buffer.from(seg.labelmapBufferArray[0]));
const segDs = read(segPath);
const segments = arr(segDs.SegmentSequence).map((s) => ({
  number: s.SegmentNumber,
  label: s.SegmentLabel,
  trackingId: s.TrackingID,
  category: arr(s.SegmentedPropertyCategoryCodeSequence)[0].CodeValue,
  type: arr(s.SegmentedPropertyTypeCodeSequence)[0].CodeValue,
  rgb: dcmjs.data.Colors.dicomlab2RGB8(s.RecommendedDisplayCIELabValue),
  algorithmType: s.SegmentAlgorithmType,
  algorithmName: arr(s.SegmentationAlgorithmIdentificationSequence)[0]?.AlgorithmName,
  algorithmVersion: arr(s.SegmentationAlgorithmIdentificationSequence)[0]?.AlgorithmVersion,
  algorithmSource: arr(s.SegmentationAlgorithmIdentificationSequence)[0]?.AlgorithmSource,
}));

// SR → Bidirectional annotations (dcmjs's Cornerstone3D MeasurementReport adapter, as OHIF loads TID 1500 SRs).
const sr = read(srPath);
// SCOORD image coordinates put the top left corner of the top left pixel at (0, 0), so pixel centres lie at +0.5 (PS3.3 C.18.6.1.1).
const imageToWorld = (imageId, [x, y]) => {
  const p = provider.get("imagePlaneModule", imageId);
  const c = x - 0.5, r = y - 0.5;
  return [0, 1, 2].map((i) => p.imagePositionPatient[i] + c * p.columnPixelSpacing * p.rowCosines[i] + r * p.rowPixelSpacing * p.columnCosines[i]);
};
const sopToImageId = Object.fromEntries(images.map((i) => [i.ds.SOPInstanceUID, i.id]));
const Bidirectional = dcmjs.adapters.Cornerstone3D.Bidirectional;
const isPlanar = (group) => arr(group.ContentSequence).some((c) => c.ConceptNameCodeSequence && arr(c.ConceptNameCodeSequence)[0].CodeValue === "103339001");
const log = console.log;
console.log = () => {}; // the adapter logs every measurement
const toolState = dcmjs.adapters.Cornerstone3D.MeasurementReport.generateToolState(sr, sopToImageId, imageToWorld, provider,
  { getToolClass: (group) => (isPlanar(group) ? Bidirectional : undefined) });
console.log = log;
const bidirectional = arr(toolState[Bidirectional.toolType]).map((m) => {
  const stats = Object.values(m.annotation.data.cachedStats)[0];
  return {
    sopInstanceUid: m.sopInstanceUid,
    finding: m.finding?.CodeValue,
    length: Number(stats.length),
    width: Number(stats.width),
    points: m.annotation.data.handles.points,
  };
});

// TID 1411 volumetric groups, read from dcmjs's naturalized content tree.
const measurements = arr(sr.ContentSequence).find((c) => arr(c.ConceptNameCodeSequence)[0].CodeValue === "126010");
const volumetric = arr(measurements.ContentSequence)
  .filter((g) => arr(g.ContentTemplateSequence)[0]?.TemplateIdentifier === "1411")
  .map((g) => {
    const items = arr(g.ContentSequence);
    const byCode = (code) => items.find((c) => arr(c.ConceptNameCodeSequence)[0].CodeValue === code);
    const segRef = arr(byCode("121191").ReferencedSOPSequence)[0];
    const nums = Object.fromEntries(items.filter((c) => c.ValueType === "NUM").map((c) => {
      const mv = arr(c.MeasuredValueSequence)[0];
      return [arr(c.ConceptNameCodeSequence)[0].CodeValue, { value: Number(mv.NumericValue), unit: arr(mv.MeasurementUnitsCodeSequence)[0].CodeValue }];
    }));
    return {
      trackingId: byCode("112039").TextValue,
      referencedSegment: Number(segRef.ReferencedSegmentNumber),
      referencedSeg: segRef.ReferencedSOPInstanceUID,
      sourceSeries: byCode("121232").UID,
      nums,
    };
  });

// TID 1410 groups: the RECIST group's Referenced Segmentation Frame, resolved through the SEG's per-frame functional groups,
// and the bounding-box groups' Image Region.
const code = (c) => arr(c.ConceptNameCodeSequence)[0]?.CodeValue;
const planar = arr(measurements.ContentSequence)
  .filter((g) => arr(g.ContentTemplateSequence)[0]?.TemplateIdentifier === "1410")
  .map((g) => {
    const items = arr(g.ContentSequence);
    const byCode = (c) => items.find((i) => code(i) === c);
    const out = { trackingId: byCode("112039").TextValue, trackingUid: byCode("112040").UID, topLevelScoords: items.filter((i) => i.ValueType === "SCOORD").length };
    const segFrame = byCode("121214");
    if (segFrame) {
      const ref = arr(segFrame.ReferencedSOPSequence)[0];
      const frame = arr(segDs.PerFrameFunctionalGroupsSequence)[Number(ref.ReferencedFrameNumber) - 1];
      out.segmentationFrame = {
        seg: ref.ReferencedSOPInstanceUID,
        frame: Number(ref.ReferencedFrameNumber),
        segment: Number(arr(frame.SegmentIdentificationSequence)[0].ReferencedSegmentNumber),
        source: arr(arr(arr(frame.DerivationImageSequence)[0].SourceImageSequence))[0].ReferencedSOPInstanceUID,
        sourceImage: arr(byCode("121233").ReferencedSOPSequence)[0].ReferencedSOPInstanceUID,
      };
    }
    const region = byCode("111030");
    if (region) {
      const sop = arr(arr(region.ContentSequence)[0].ReferencedSOPSequence)[0].ReferencedSOPInstanceUID;
      const d = Array.from(region.GraphicData).map(Number);
      out.imageRegion = { graphicType: region.GraphicType, sopInstanceUid: sop, points: d, world: [] };
      for (let i = 0; i < d.length; i += 2) out.imageRegion.world.push(imageToWorld(sopToImageId[sop], [d[i], d[i + 1]]));
    }
    return out;
  });

fs.writeFileSync(path.join(outDir, "result.json"), JSON.stringify({
  imageSopInstanceUids: images.map((i) => i.ds.SOPInstanceUID),
  labelmaps: seg.labelmapBufferArray.length,
  segments,
  bidirectional,
  volumetric,
  planar,
}, null, 1));

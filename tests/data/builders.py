"""Tiny copies of the public datasets in their real on-disk layouts (dataset-formats.md).

Each ``make_<dataset>(root)`` writes a few small images (64 x 80, PieAPP 64 x 64) with the real
folder names, file-name case quirks, score files (CRLF, quoting, .mat variables, the CSIQ
workbook) and returns what the test needs to know (e.g. the raw scores written).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io

from hdr_iqa.io import write_image

H, W = 64, 80


def sdr_image(seed: int, height: int = H, width: int = W) -> np.ndarray:
    """A smooth random uint8 RGB image."""
    rng = np.random.default_rng(seed)
    small = rng.uniform(0, 255, (height // 8 + 1, width // 8 + 1, 3))
    image = np.kron(small, np.ones((8, 8, 1)))[:height, :width]
    return image.astype(np.uint8)


def distort(image: np.ndarray, level: int, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, 12 * level, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def hdr_image(seed: int, peak: float = 1000.0, height: int = H, width: int = W) -> np.ndarray:
    """A float32 RGB image in cd/m^2 spanning about 0.05 .. peak."""
    values = sdr_image(seed, height, width).astype(np.float32) / 255.0
    return (0.05 + values**2.2 * peak).astype(np.float32)


def make_kadid(root: Path, refs: int = 5, types: int = 2, levels: int = 2) -> dict[str, float]:
    images = root / "images"
    lines, raw = ["dist_img,ref_img,dmos,var"], {}
    for r in range(1, refs + 1):
        ref = sdr_image(r)
        write_image(images / f"I{r:02d}.png", ref)
        for t in range(1, types + 1):
            for level in range(1, levels + 1):
                name = f"I{r:02d}_{t:02d}_{level:02d}.png"
                write_image(images / name, distort(ref, level, r * 100 + t * 10 + level))
                raw[name] = round(4.8 - 0.9 * level - 0.1 * t, 3)
                lines.append(f"{name},I{r:02d}.png,{raw[name]},0.5")
    (root / "dmos.csv").write_text("\n".join(lines) + "\n")
    return raw


def make_tid(root: Path, version: str = "2013", refs=(1, 2, 3, 4, 25), types=2, levels=2):
    """TID2013: refs I01.BMP .. and i25.bmp, dists i01_01_1.bmp .. I25_01_1.bmp, CRLF MOS file.
    TID2008: refs I01.BMP, dists I01_01_1.bmp."""
    lines, raw = [], {}
    for r in refs:
        ref = sdr_image(r)
        ref_name = f"i{r:02d}.bmp" if r == 25 and version == "2013" else f"I{r:02d}.BMP"
        write_image(root / "reference_images" / ref_name, ref)
        for t in range(1, types + 1):
            for level in range(1, levels + 1):
                name = f"i{r:02d}_{t:02d}_{level}.bmp"  # as in the MOS file: lower case
                upper = r == 25 or version == "2008"
                on_disk = "I" + name[1:] if upper else name
                write_image(root / "distorted_images" / on_disk, distort(ref, level, r + t + level))
                raw[name] = round(6.5 - 1.5 * level - 0.2 * t, 5)
                lines.append(f"{raw[name]} {name}")
    (root / "mos_with_names.txt").write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return raw


LIVE_FOLDERS = (("jp2k", 227), ("jpeg", 233), ("wn", 174), ("gblur", 174), ("fastfading", 174))
LIVE_REFS = ("bikes.bmp", "buildings.bmp", "caps.bmp", "parrots.bmp", "womanhat.bmp")


def make_live(root: Path) -> dict[str, float]:
    """982 .mat entries; in each folder entries k=1,2 are distorted (others orgs == 1)."""
    dmos = np.zeros(982)
    orgs = np.ones(982)
    names = np.empty((1, 982), dtype=object)
    for i in range(982):
        names[0, i] = np.array([LIVE_REFS[i % len(LIVE_REFS)]])
    for j, name in enumerate(LIVE_REFS):
        write_image(root / "refimgs" / name, sdr_image(50 + j))
    raw, entry = {}, 0
    for f, (folder, count) in enumerate(LIVE_FOLDERS):
        for k in (1, 2):
            i = entry + k - 1
            orgs[i] = 0
            dmos[i] = 20.0 + 10 * f + 15 * k
            ref_name = LIVE_REFS[(2 * f + k) % len(LIVE_REFS)]
            names[0, i] = np.array([ref_name])
            ref = sdr_image(50 + LIVE_REFS.index(ref_name))
            write_image(root / folder / f"img{k}.bmp", distort(ref, k, i))
            raw[f"{folder}/img{k}.bmp"] = dmos[i]
        entry += count
    realigned = dmos * 1.1
    scipy.io.savemat(root / "dmos.mat", {"dmos": dmos[None], "orgs": orgs[None]})
    realigned_mat = {"dmos_new": realigned[None], "dmos_std": np.ones((1, 982)), "orgs": orgs[None]}
    scipy.io.savemat(root / "dmos_realigned.mat", realigned_mat)
    scipy.io.savemat(root / "refnames_all.mat", {"refnames_all": names})
    return raw


CSIQ_REFS = ("1600", "aerial_city", "boston", "bridge", "butter_flower")
CSIQ_TYPES = (
    (1, "noise", "awgn", "AWGN"),
    (5, "blur", "blur", "BLUR"),
    (3, "jpeg 2000", "jpeg2000", "jpeg2000"),
)


def make_csiq(root: Path) -> dict[str, float]:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "all_by_image"
    workbook.create_sheet("all_by_distortion")
    sheet["D1"] = "CSIQ DMOS"
    header = ("image", "dst_idx", "dst_type", "dst_lev", "dmos_std", "dmos")
    for column, name in zip("DEFGHI", header, strict=True):
        sheet[f"{column}4"] = name
    row, raw = 5, {}
    for r, ref_name in enumerate(CSIQ_REFS):
        ref = sdr_image(70 + r)
        write_image(root / "src_imgs" / f"{ref_name}.png", ref)
        for index, kind, folder, token in CSIQ_TYPES:
            for level in (1, 2):
                name = f"{ref_name}.{token}.{level}.png"
                write_image(root / "dst_imgs" / folder / name, distort(ref, level, row))
                value = round(0.1 * level + 0.05 * index, 4)
                image = int(ref_name) if ref_name.isdigit() else ref_name
                for column, cell in zip(
                    "DEFGHI", (image, index, kind, level, 0.02, value), strict=True
                ):
                    sheet[f"{column}{row}"] = cell
                raw[f"{folder}/{name}"] = value
                row += 1
    workbook.save(root / "csiq.DMOS.xlsx")
    return raw


PIEAPP_SPLITS = {"train": (1, 2, 3), "val": (4,), "test": (5, 6)}


def make_pieapp(root: Path, dists: int = 3) -> dict:
    size = 64
    pairwise, per_image = {}, {}
    for split, refs in PIEAPP_SPLITS.items():
        for n in refs:
            ref_id = f"ref_{n:04d}"
            ref = sdr_image(90 + n, size, size)
            write_image(root / "reference_images" / split / f"{ref_id}.png", ref)
            names = [f"distort_{n:04d}_{kind}_inter_{i}.png"
                     for i, kind in enumerate(("blur", "noise", "jpeg")[:dists])]  # fmt: skip
            for i, name in enumerate(names):
                image = distort(ref, i + 1, n * 10 + i)
                write_image(root / "distorted_images" / split / ref_id / name, image)
            labels = root / "labels" / split
            labels.mkdir(parents=True, exist_ok=True)
            if split == "test":
                rows = [" ref. image, distorted image, score for distorted image"]
                for i, name in enumerate(names):
                    per_image[name] = 0.5 * (i + 1)
                    rows.append(f"{ref_id}.png,{name},{per_image[name]}")
                (labels / f"{ref_id}_per_image_score.csv").write_text("\n".join(rows) + "\n")
                rows = ["ref. image, distorted image A, distorted image B, P(A)"]
                (labels / f"{ref_id}_pairwise_labels.csv").write_text("\n".join(rows) + "\n")
            else:
                rows = [
                    "ref. image, distorted image A, distorted image B, raw probability of "
                    "preference for A, processed probability of preference for A"
                ]
                for i in range(len(names)):
                    for j in range(i + 1, len(names)):
                        prob = round(0.5 + 0.15 * (j - i) - 0.1 * i, 3)
                        raw = "" if (i, j) == (0, 2) else str(prob)  # not labelled by MTurk
                        rows.append(f"{ref_id}.png,{names[i]},{names[j]},{raw},{prob}")
                        pairwise[(ref_id, names[i], names[j])] = prob
                (labels / f"{ref_id}_pairwise_labels.csv").write_text("\n".join(rows) + "\n")
    return {"pairwise": pairwise, "per_image": per_image}


def make_koniq(root: Path, images: int = 6) -> dict[str, float]:
    header = '"image_name","c1","c2","c3","c4","c5","c_total","MOS","SD","MOS_zscore"'
    rows, sets, raw = [header], ["image_name,c1,c2,c3,c4,c5,c_total,MOS,SD,set"], {}
    names = ("training", "training", "training", "training", "validation", "test")
    for i in range(images):
        name = f"{10004473376 + i}.jpg"
        write_image(root / "1024x768" / name, sdr_image(110 + i))
        mos = round(1.5 + 0.5 * i, 3)
        raw[name] = mos
        rows.append(f'"{name}",1,2,3,4,5,15,{mos},0.5,{20 * mos:.3f}')
        sets.append(f"{name},1,2,3,4,5,15,{mos},0.5,{names[i % len(names)]}")
    (root / "koniq10k_scores_and_distributions.csv").write_text("\n".join(rows) + "\n")
    (root / "koniq10k_distributions_sets.csv").write_text("\n".join(sets) + "\n")
    return raw


UPIQ_HEADER = ("condition_id,dataset,content_id,dist_id,dist_level,is_hdr,test_file,"
               "reference_file,pix_per_deg,distortion_name,repeating_content_id,JOD")  # fmt: skip
UPIQ_CONTENTS = {  # dataset -> (content ids, is_hdr)
    "korshunov": (("k-i01", "k-i02", "k-i03"), 1),
    "narwaria": (("n-i01", "n-i02"), 1),
    "live": (("l-i01", "l-i02"), 0),  # l-i01 is TID2013's t-i05
    "tid2013": (("t-i01", "t-i02", "t-i03", "t-i05"), 0),
}


def make_upiq(root: Path, levels: int = 2, sdr_exr: bool = False) -> dict[str, float]:
    rows, raw = [UPIQ_HEADER], {}
    for d, (dataset, (contents, is_hdr)) in enumerate(UPIQ_CONTENTS.items()):
        suffix = ".exr" if is_hdr else ".png"
        for c, content in enumerate(contents):
            number = content.split("-i")[1]
            folder = f"{dataset}/{number}"
            seed = 200 + 10 * d + c
            ref = hdr_image(seed) if is_hdr else sdr_image(seed)
            ref_file = f"{folder}/i{number}{suffix}"
            write_image(root / "images" / ref_file, ref)
            if sdr_exr and not is_hdr:
                write_image(
                    root / "images" / ref_file.replace(".png", ".exr"), hdr_image(seed, 100.0)
                )
            for level in range(1, levels + 1):
                test_file = f"{folder}/i{number}_01_{level}{suffix}"
                if is_hdr:
                    image = (
                        ref * (1.0 + 0.3 * level * np.random.default_rng(level).random(ref.shape))
                    ).astype(np.float32)
                else:
                    image = distort(ref, level, seed + level)
                write_image(root / "images" / test_file, image)
                if sdr_exr and not is_hdr:
                    write_image(
                        root / "images" / test_file.replace(".png", ".exr"),
                        hdr_image(seed + level, 100.0),
                    )
                jod = -1.5 * level + 0.1 * c
                raw[test_file] = jod
                ppd = "60.3" if is_hdr else "30"
                rows.append(f"{dataset[0]}-{content}-{level},{dataset},{content},1,{level},{is_hdr},"
                            f"{test_file},{ref_file},{ppd},noise,-,{jod}")  # fmt: skip
    (root / "upiq_subjective_scores.csv").write_text("\n".join(rows) + "\n")
    return raw


def make_sihdr(root: Path, images: int = 3) -> list[str]:
    names = []
    for i in range(1, images + 1):
        name = f"{i:03d}.exr"
        write_image(root / "reference" / name, hdr_image(130 + i, peak=60000.0))
        names.append(name)
    (root / "reference" / "README.txt").write_text("not an image\n")
    return names


def make_csv(root: Path) -> dict[str, float]:
    """Pairs of SDR PNGs and HDR EXRs in one CSV (scores are MOS 1..5, higher = better)."""
    rows, raw = ["ref,dist,score,content"], {}
    for i in range(5):
        ref = sdr_image(150 + i)
        write_image(root / "img" / f"r{i}.png", ref)
        for level in (1, 2):
            write_image(root / "img" / f"r{i}_d{level}.png", distort(ref, level, i))
            raw[f"img/r{i}_d{level}.png"] = 5.0 - level - 0.1 * i
            rows.append(
                f"img/r{i}.png,img/r{i}_d{level}.png,{raw[f'img/r{i}_d{level}.png']},scene{i}"
            )
    hdr = hdr_image(160)
    write_image(root / "hdr" / "h.exr", hdr)
    write_image(root / "hdr" / "h_d1.exr", hdr * 0.5)
    rows.append("hdr/h.exr,hdr/h_d1.exr,2.5,scene0")
    raw["hdr/h_d1.exr"] = 2.5
    (root / "pairs.csv").write_text("\r\n".join(rows) + "\r\n")
    return raw


BUILDERS = {
    "kadid10k": make_kadid,
    "tid2013": make_tid,
    "tid2008": lambda root: make_tid(root, version="2008"),
    "databaserelease2": make_live,
    "CSIQ": make_csiq,
    "PieAPP_dataset": make_pieapp,
    "koniq10k": make_koniq,
    "upiq_dataset": make_upiq,
    "SI-HDR": make_sihdr,
    "mine": make_csv,
}
"""Folder name under ``paths.data_dir`` (as the dataset configs expect) -> builder."""

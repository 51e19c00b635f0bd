import fs from 'node:fs/promises';
import path from 'node:path';
import { SHARED } from '../helpers/processes/stack.js';

export interface KnownPhoto {
  file: string;
  bytes: Buffer;
  /** The ImageNet class the photo shows (labels.csv), which MobileNetV2 must answer as its top-1. */
  classId: number;
}

/**
 * Photos of ../shared/eval/imagenet-sample that the int8 MobileNetV2 recognises with a margin above 0.9 between
 * its first and second answer (measured once on the 80 first photos), so an exact top-1 check against their
 * labelled class is stable wherever the model runs; the two photos of ../shared/models/test-images beside them.
 */
const CONFIDENT = [
  'n01532829_house_finch', 'n01560419_bulbul', 'n01601694_water_ouzel', 'n01622779_great_grey_owl',
  'n01632458_spotted_salamander', 'n01644900_tailed_frog', 'n01695060_Komodo_dragon', 'n01774750_tarantula',
  'n01795545_black_grouse', 'n01806143_peacock', 'n01818515_macaw', 'n01828970_bee_eater', 'n01860187_black_swan',
  'n01914609_sea_anemone', 'n01943899_conch', 'n01955084_chiton', 'n01980166_fiddler_crab', 'n02002724_black_stork',
  'n02009912_American_egret', 'n02017213_European_gallinule', 'n02027492_red-backed_sandpiper', 'n02051845_pelican',
  'n02071294_killer_whale', 'n02085782_Japanese_spaniel', 'n02091831_Saluki', 'n02095314_wire-haired_fox_terrier',
  'n02097474_Tibetan_terrier', 'n02101556_clumber', 'n02102480_Sussex_spaniel', 'n02105056_groenendael',
  'n02105505_komondor', 'n02108551_Tibetan_mastiff', 'n02110627_affenpinscher', 'n02111277_Newfoundland',
  'n02113978_Mexican_hairless', 'n02117135_hyena', 'n02120505_grey_fox', 'n02123597_Siamese_cat', 'n02128385_leopard',
  'n02190166_fly', 'n02229544_cricket',
];

/** The photos above with their labelled classes, plus dog.jpg (249 malamute) and eagle.jpg (22 bald eagle). */
export async function knownPhotos(): Promise<KnownPhoto[]> {
  const dir = path.join(SHARED, 'eval/imagenet-sample');
  const rows = (await fs.readFile(path.join(dir, 'labels.csv'), 'utf8')).trim().split('\n').slice(1).map((l) => l.split(','));
  const classOf = new Map(rows.map(([file, classId]) => [file!, Number(classId)]));
  const photos: KnownPhoto[] = [];
  for (const name of CONFIDENT) {
    const file = `${name}.JPEG`;
    const classId = classOf.get(file);
    if (classId === undefined) throw new Error(`${file} is not in ${dir}/labels.csv`);
    photos.push({ file, bytes: await fs.readFile(path.join(dir, file)), classId });
  }
  const test = path.join(SHARED, 'models/test-images');
  photos.push({ file: 'dog.jpg', bytes: await fs.readFile(path.join(test, 'dog.jpg')), classId: 249 });
  photos.push({ file: 'eagle.jpg', bytes: await fs.readFile(path.join(test, 'eagle.jpg')), classId: 22 });
  return photos;
}

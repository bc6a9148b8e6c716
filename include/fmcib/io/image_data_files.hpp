#pragma once
/// The files an image header makes a reader open besides itself. NRRD (`data file:` /
/// `datafile:`) and MetaImage (`ElementDataFile =`) headers name where their voxels are: one file,
/// a `LIST` of files, or a printf pattern with `min max step`; relative names are taken from the
/// header's folder, as ITK does. Such a name may point anywhere (`../../etc/passwd`), and a reader
/// then turns that file's bytes into voxels: check-data warns about data files outside the image's
/// folder and export-patches refuses them (see README, "Files fmcib reads and writes").
#include <string>
#include <vector>

namespace fmcib::io {

/// The data files `imagePath`'s header references, resolved (empty for other formats, attached
/// data (`LOCAL`) and headers that cannot be read: reading the image reports those). At most
/// `limit` names are listed (a pattern may expand to many).
std::vector<std::string> referencedDataFiles(const std::string& imagePath, size_t limit = 10000);

/// Those of referencedDataFiles() that lie outside the folder of `imagePath` once links are
/// resolved (a data file in a subfolder is inside).
std::vector<std::string> externalDataFiles(const std::string& imagePath);

}  // namespace fmcib::io

// missing_score.cpp with the member named correctly; it must compile.
#define ISDARTS_COMPLETE_POLICY
#include "missing_score.cpp"

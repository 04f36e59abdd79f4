// missing_importance.cpp with the member defined; it must compile.
#define ISDARTS_COMPLETE_POLICY
#include "missing_importance.cpp"

# One place for compiler flags (like curl's CMake/PickyWarnings.cmake).
function(triage_warnings)
	set(w -Wall -Wextra -Wformat=2 -Wshadow -Wmissing-prototypes
	      -Wstrict-prototypes -Wpointer-arith -Wvla -Wno-unused-parameter)
	if(TRIAGE_WERROR)
		list(APPEND w -Werror)
	endif()
	add_compile_options(${w})
	if(TRIAGE_SANITIZE)
		add_compile_options(-fsanitize=address,undefined
			-fno-sanitize-recover=undefined -fno-omit-frame-pointer)
		add_link_options(-fsanitize=address,undefined)
	endif()
endfunction()

# Hardening for both programs, whatever the build type or packager:
# PIE, stack protector, _FORTIFY_SOURCE where the code is optimized,
# full RELRO and BIND_NOW.  `hardening-check` (devscripts) checks the
# result (tests/CMakeLists.txt, label "hardening").
include(CheckPIESupported)
include(CheckCCompilerFlag)

function(triage_hardening)
	set(CMAKE_POSITION_INDEPENDENT_CODE ON PARENT_SCOPE)
	check_pie_supported(LANGUAGES C)
	add_compile_options(-fstack-protector-strong)
	add_link_options(-Wl,-z,relro,-z,now)
	# As dpkg-buildflags' hardening=+all where the compiler has them
	# (hardening-check looks for both).
	foreach(f -fstack-clash-protection -fcf-protection)
		string(MAKE_C_IDENTIFIER "HAVE${f}" var)
		check_c_compiler_flag(${f} ${var})
		if(${var})
			add_compile_options(${f})
		endif()
	endforeach()
	# glibc only fortifies optimized code (and warns at -O0); the
	# sanitizers replace the same functions, so not with them either.
	string(TOUPPER "${CMAKE_BUILD_TYPE}" bt)
	set(flags "${CMAKE_C_FLAGS} ${CMAKE_C_FLAGS_${bt}}")
	if(NOT TRIAGE_SANITIZE AND flags MATCHES "-O[1-3s]"
	    AND NOT flags MATCHES "_FORTIFY_SOURCE")
		add_compile_definitions(_FORTIFY_SOURCE=2)
	endif()
endfunction()

# Debian 12's libetpan.pc leaks the flags of its own build into its
# users' link line, among them -specs=/usr/share/dpkg/no-pie-link.specs,
# which would link our programs without PIE.  Keep the rest.
function(triage_strip_specs target)
	foreach(prop INTERFACE_LINK_OPTIONS INTERFACE_LINK_LIBRARIES)
		get_target_property(v ${target} ${prop})
		if(v)
			list(FILTER v EXCLUDE REGEX "^-specs=")
			set_target_properties(${target} PROPERTIES ${prop} "${v}")
		endif()
	endforeach()
endfunction()
